/*
 * test_code.c - code.c: the ELF completeness check on a real module and on
 * copies cut short or patched, and lb_code_pin's sealed copies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elf.h>

#include "lambda/code.h"
#include "test.h"

void lb_test_suite_code(void);

/* A test handler module's bytes (malloc'ed) and length. */
static unsigned char *
module_bytes(const char *name, size_t *len, char *path, size_t pathlen)
{
	char rel[128];
	struct stat st;
	unsigned char *b;
	int fd;

	snprintf(rel, sizeof(rel), "tests/handlers/%s.so", name);
	lb_test_build_path(rel, path, pathlen);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	b = malloc((size_t)st.st_size);
	if (b == NULL ||
	    read(fd, b, (size_t)st.st_size) != (ssize_t)st.st_size) {
		free(b);
		b = NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void
test_elf_check(void)
{
	char path[PATH_MAX], err[256];
	size_t len, cuts[] = { 0, 3, 63, 64, 1000 };
	unsigned char *b = module_bytes("sleep", &len, path, sizeof(path));
	uint16_t type = ET_EXEC;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(lb_code_elf_check(b, len, err, sizeof(err)), 0);
	/* every prefix a copy in progress can show is refused */
	for (size_t i = 0; i < sizeof(cuts) / sizeof(*cuts); i++)
		CU_ASSERT_EQUAL(
		    lb_code_elf_check(b, cuts[i], err, sizeof(err)), -1);
	for (size_t n = len / 2; n < len; n += (len - n + 1) / 2)
		CU_ASSERT_EQUAL(lb_code_elf_check(b, n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "incomplete ELF"));
	/* an executable is not a module */
	memcpy(b + 16, &type, sizeof(type));
	CU_ASSERT_EQUAL(lb_code_elf_check(b, len, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a shared object"));
	memcpy(b, "#!/bin", 6);
	CU_ASSERT_EQUAL(lb_code_elf_check(b, len, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an ELF file"));
	free(b);
}

static void
test_pin(void)
{
	char path[PATH_MAX], other[PATH_MAX], err[256];
	char tmp[] = "/tmp/lb-test-code-XXXXXX";
	size_t len, olen;
	unsigned char *b = module_bytes("sleep", &len, path, sizeof(path));
	unsigned char *o = module_bytes("crash", &olen, other, sizeof(other));
	unsigned char *copy;
	int fd, fd2, fd3, tfd, seals;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	fd = lb_code_pin(path, err, sizeof(err));
	CU_ASSERT_FATAL(fd >= 0);
	seals = fcntl(fd, F_GET_SEALS);
	CU_ASSERT_EQUAL(
	    seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	    F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* the very bytes, and nobody may change them */
	copy = malloc(len);
	CU_ASSERT_FATAL(copy != NULL);
	CU_ASSERT_EQUAL(pread(fd, copy, len, 0), (ssize_t)len);
	CU_ASSERT_EQUAL(memcmp(copy, b, len), 0);
	CU_ASSERT_EQUAL(pwrite(fd, "x", 1, 0), -1);
	CU_ASSERT_EQUAL(ftruncate(fd, 10), -1);
	free(copy);

	fd2 = lb_code_pin(path, err, sizeof(err));
	fd3 = lb_code_pin(other, err, sizeof(err));
	CU_ASSERT_FATAL(fd2 >= 0 && fd3 >= 0);
	CU_ASSERT_EQUAL(lb_code_same(fd, fd2), 1);
	CU_ASSERT_EQUAL(lb_code_same(fd, fd3), 0);
	close(fd2);
	close(fd3);
	close(fd);

	/* a file cut short, not ELF, missing */
	tfd = mkstemp(tmp);
	CU_ASSERT_FATAL(tfd >= 0);
	CU_ASSERT_EQUAL(write(tfd, b, len / 2), (ssize_t)(len / 2));
	CU_ASSERT_EQUAL(lb_code_pin(tmp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "incomplete ELF"));
	CU_ASSERT_EQUAL(ftruncate(tfd, 0), 0);
	CU_ASSERT_EQUAL(pwrite(tfd, "hello", 5, 0), 5);
	CU_ASSERT_EQUAL(lb_code_pin(tmp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an ELF file"));
	close(tfd);
	unlink(tmp);
	CU_ASSERT_EQUAL(lb_code_pin(tmp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(ENOENT)));
	free(b);
	free(o);
}

void
lb_test_suite_code(void)
{
	static CU_TestInfo tests[] = {
		{ "ELF check", test_elf_check },
		{ "pin", test_pin },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("code", tests);
}
