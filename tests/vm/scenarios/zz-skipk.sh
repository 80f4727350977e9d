# lab-kernels: 5.* 4.19*
. /lib/klptop/lib.sh
pass never
