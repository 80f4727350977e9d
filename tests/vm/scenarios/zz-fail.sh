. /lib/klptop/lib.sh
check ok true
check bad false
check_json js /proc/version '.a'
lp_wait_transition nonexist 1 && pass waited
