// SPDX-License-Identifier: GPL-2.0
/* Who may load the BPF probes: decided from capabilities and, on kernels
 * that restrict perf_event_open() (Debian's paranoid level 3), CAP_SYS_ADMIN. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "live/privs.h"

static int can(struct privs p, char *why, size_t len)
{
	p.read = 1;
	why[0] = '\0';
	return privs__can_bpf(&p, why, len);
}

static void test_bpf_and_perfmon_suffice_upstream(void **state)
{
	char why[256];

	assert_true(can((struct privs){ .bpf = 1, .perfmon = 1, .perf_paranoid = 2 }, why, sizeof(why)));
}

static void test_debian_paranoid_needs_sys_admin(void **state)
{
	char why[256];

	assert_false(can((struct privs){ .bpf = 1, .perfmon = 1, .perf_paranoid = 3 }, why, sizeof(why)));
	assert_non_null(strstr(why, "CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN (kernel.perf_event_paranoid is 3)"));
	assert_non_null(strstr(why, "(missing: CAP_SYS_ADMIN)"));
	assert_true(can((struct privs){ .bpf = 1, .perfmon = 1, .sys_admin = 1, .perf_paranoid = 3 },
			why, sizeof(why)));
}

static void test_names_what_is_missing(void **state)
{
	char why[256];

	assert_false(can((struct privs){ .bpf = 1, .perf_paranoid = 3 }, why, sizeof(why)));
	assert_non_null(strstr(why, "(missing: CAP_PERFMON)"));
	assert_false(can((struct privs){ .perf_paranoid = 2 }, why, sizeof(why)));
	assert_non_null(strstr(why, "(missing: CAP_BPF CAP_PERFMON)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bpf_and_perfmon_suffice_upstream),
		cmocka_unit_test(test_debian_paranoid_needs_sys_admin),
		cmocka_unit_test(test_names_what_is_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
