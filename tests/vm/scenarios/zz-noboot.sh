# lab-append: rdinit=/nonexistent root=/dev/nothing
# lab-timeout: 30
. /lib/klptop/lib.sh
pass never
