# lab-timeout: 20
. /lib/klptop/lib.sh
pass before-hang
sleep 1000
