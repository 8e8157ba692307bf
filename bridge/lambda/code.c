/*
 * code.c - pinned function code: modules copied once into sealed memfds.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambda/code.h"

#define PIN_TRIES    5
#define PIN_RETRY_MS 20
#define PIN_MAX      (1024L * 1024 * 1024) /* no module is this big */
#define SEALS        (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif
#define HOST_CLASS (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)

/* Whether [off, off + n * size) lies inside len bytes, without overflow. */
static int
inside(uint64_t off, uint64_t n, uint64_t size, size_t len)
{
	if (off > len || (size > 0 && n > (len - off) / size))
		return 0;
	return 1;
}

int
lb_code_elf_check(
    const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	ElfW(Ehdr) eh;

	if (len < sizeof(eh) || memcmp(buf, ELFMAG, SELFMAG) != 0) {
		snprintf(err, errlen, "not an ELF file");
		return -1;
	}
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != HOST_CLASS ||
	    eh.e_ident[EI_DATA] != HOST_DATA) {
		snprintf(
		    err, errlen, "an ELF file for another kind of machine");
		return -1;
	}
	if (eh.e_type != ET_DYN) {
		snprintf(err, errlen, "not a shared object");
		return -1;
	}
	if (eh.e_phnum == 0 || eh.e_phentsize != sizeof(ElfW(Phdr)) ||
	    !inside(eh.e_phoff, eh.e_phnum, sizeof(ElfW(Phdr)), len))
		goto short_file;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		ElfW(Phdr) ph;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (!inside(ph.p_offset, 1, ph.p_filesz, len))
			goto short_file;
	}
	/* the section headers come last: a file cut short loses them */
	if (eh.e_shoff != 0 &&
	    (eh.e_shentsize != sizeof(ElfW(Shdr)) ||
	        !inside(eh.e_shoff, eh.e_shnum, sizeof(ElfW(Shdr)), len)))
		goto short_file;
	return 0;
short_file:
	snprintf(err, errlen, "an incomplete ELF file (%zu bytes)", len);
	return -1;
}

static int
same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_ino == b->st_ino &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * Reads `path` whole into a new *buf.  Returns 0, 1 when the file changed
 * while it was read (try again), or -1 with the reason in err.
 */
static int
read_whole(const char *path, unsigned char **buf, size_t *len, char *err,
    size_t errlen)
{
	struct stat before, after;
	size_t got = 0, cap;
	unsigned char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0) {
		snprintf(err, errlen, "cannot read it: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &before) < 0 || !S_ISREG(before.st_mode) ||
	    before.st_size > PIN_MAX) {
		snprintf(err, errlen, "not a regular file of a sane size");
		close(fd);
		return -1;
	}
	cap = (size_t)before.st_size + 1; /* one more: did it grow? */
	b = malloc(cap);
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	while (got < cap) {
		ssize_t n = read(fd, b + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(
			    err, errlen, "cannot read it: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (fstat(fd, &after) < 0) {
		snprintf(err, errlen, "cannot read it: %s", strerror(errno));
		goto out;
	}
	if (got != (size_t)before.st_size || !same_stat(&before, &after)) {
		snprintf(err, errlen, "it kept changing while it was read");
		rc = 1;
		goto out;
	}
	*buf = b;
	*len = got;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

/* A sealed memfd holding buf[0..len), named after path; -1 (err). */
static int
seal_copy(const char *path, const unsigned char *buf, size_t len, char *err,
    size_t errlen)
{
	const char *base = strrchr(path, '/');
	size_t off = 0;
	int fd;

	fd = memfd_create(
	    base != NULL ? base + 1 : path, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(
			    err, errlen, "cannot copy it: %s", strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
		snprintf(
		    err, errlen, "cannot seal its copy: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
lb_code_pin(const char *path, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = 1, fd;

	for (int i = 0; i < PIN_TRIES && rc == 1; i++) {
		if (i > 0)
			usleep(PIN_RETRY_MS * 1000);
		rc = read_whole(path, &buf, &len, err, errlen);
	}
	if (rc != 0)
		return -1;
	fd = lb_code_elf_check(buf, len, err, errlen) == 0
	    ? seal_copy(path, buf, len, err, errlen)
	    : -1;
	free(buf);
	return fd;
}

int
lb_code_same(int fd_a, int fd_b)
{
	unsigned char a[16384], b[16384];
	struct stat sa, sb;
	off_t off = 0;

	if (fstat(fd_a, &sa) < 0 || fstat(fd_b, &sb) < 0 ||
	    sa.st_size != sb.st_size)
		return 0;
	while (off < sa.st_size) {
		ssize_t na = pread(fd_a, a, sizeof(a), off);
		ssize_t nb = pread(fd_b, b, sizeof(b), off);

		if (na <= 0 || na != nb || memcmp(a, b, (size_t)na) != 0)
			return 0;
		off += na;
	}
	return 1;
}
