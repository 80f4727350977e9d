# lab-timeout: 40
. /lib/klptop/lib.sh
pass before-panic
echo c > /proc/sysrq-trigger
