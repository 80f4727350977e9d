. /lib/klptop/lib.sh
exit 3
