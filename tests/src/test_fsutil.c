/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fsutil.c: fs_read_file's size limit: a file of exactly the limit is read whole, one
 * byte more is refused (EFBIG), also for limits below the first read size and for files
 * that need the buffer to grow; the result is NUL-terminated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fsutil.h"
#include "vigil/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A temporary file of n bytes ('a' + i % 26); its path goes to path. */
static void make_file(char *path, size_t cap, size_t n)
{
    snprintf(path, cap, "/tmp/vigil-test-fsutil-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char chunk[4096];
    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (char)('a' + i % 26);
    size_t left = n;
    while (left > 0) {
        size_t k = left < sizeof(chunk) ? left : sizeof(chunk);
        assert_int_equal(write(fd, chunk, k), (ssize_t)k);
        left -= k;
    }
    close(fd);
}

static void check_limit(size_t size)
{
    char path[64];
    make_file(path, sizeof(path), size);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(fs_read_file(path, size, &buf, &len), 0);
    assert_int_equal(len, size);
    assert_non_null(buf);
    assert_int_equal(buf[len], '\0');
    if (size > 0)
        assert_int_equal(buf[size - 1], (char)('a' + (size - 1) % 4096 % 26));
    vg_free(buf);
    if (size > 0) {
        buf = NULL;
        assert_int_equal(fs_read_file(path, size - 1, &buf, &len), EFBIG);
        assert_null(buf);
    }
    assert_int_equal(fs_read_file(path, size + 1, &buf, &len), 0);
    assert_int_equal(len, size);
    vg_free(buf);
    unlink(path);
}

static void test_read_at_limit(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 100, 65535, 65536, 65537, 131072, 300000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        check_limit(sizes[i]);
}

static void test_missing_file(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 7;
    assert_int_equal(fs_read_file("/nonexistent/vigil-test", 10, &buf, &len), ENOENT);
    assert_null(buf);
    assert_int_equal(len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_read_at_limit),
            cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests_name("src/fsutil", tests, NULL, NULL);
}
