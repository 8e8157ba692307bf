/*
 * test_jtree.c - the arena (arena.c) and the JSON tree built in it
 * (jtree.c): the text writer must give exactly json-c's output for the
 * same tree, and both must be the JSON the tree says.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"
#include "base/arena.h"
#include "base/json.h"
#include "base/jtree.h"

void lb_test_suite_jtree(void);

static void
test_arena(void)
{
	struct lb_arena a = { 0 };
	char *small[2000], *big;

	/* more than a chunk of small blocks: aligned, apart, writable */
	for (size_t i = 0; i < 2000; i++) {
		small[i] = lb_arena_alloc(&a, 1 + i % 40);
		CU_ASSERT_PTR_NOT_NULL_FATAL(small[i]);
		CU_ASSERT_EQUAL((uintptr_t)small[i] % _Alignof(max_align_t), 0);
		memset(small[i], (int)(i & 0xff), 1 + i % 40);
	}
	/* a block bigger than a chunk, then the current chunk still fills */
	big = lb_arena_alloc(&a, 100000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 0xab, 100000);
	CU_ASSERT_PTR_EQUAL(lb_arena_alloc(&a, 16),
	    small[1999] +
	        ((40 + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1)));
	for (size_t i = 0; i < 2000; i++)
		CU_ASSERT_EQUAL((unsigned char)small[i][i % 40], i & 0xff);
	CU_ASSERT_EQUAL(a.oom, 0);
	lb_arena_free(&a);
	CU_ASSERT_PTR_NULL(a.head);
	/* an arena emptied is ready again */
	CU_ASSERT_PTR_NOT_NULL(lb_arena_alloc(&a, 8));
	lb_arena_free(&a);
}

/* The tree as text, checked against json-c's text of the same tree and
 * against `want` (structurally). */
static void
check_tree(const struct lb_jnode *root, const char *want)
{
	struct lb_jbuf jb = { 0 };
	json_object *o, *w;
	size_t len;
	char *text;
	int oom = 0;

	lb_jtree_write(&jb, root);
	text = lb_jbuf_finish(&jb, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	o = lb_jtree_to_json(root, &oom);
	CU_ASSERT_EQUAL(oom, 0);
	CU_ASSERT_STRING_EQUAL(text,
	    json_object_to_json_string_ext(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	CU_ASSERT_EQUAL(strlen(text), len);
	w = json_tokener_parse(want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_TRUE(json_object_equal(o, w));
	json_object_put(w);
	json_object_put(o);
	free(text);
}

static void
test_values(void)
{
	struct lb_arena a = { 0 };
	struct lb_jnode *root = lb_jtree_new(&a, LB_JTREE_OBJ);
	struct lb_jnode *arr = lb_jtree_new(&a, LB_JTREE_ARR), *raw;
	char nul[] = { 'a', '\0', 'b' };

	lb_jtree_put(&a, root, "t", lb_jtree_bool(&a, 7));
	lb_jtree_put(&a, root, "f", lb_jtree_bool(&a, 0));
	lb_jtree_put(&a, root, "n", lb_jtree_int(&a, INT64_MIN));
	lb_jtree_put_null(&a, root, "null");
	lb_jtree_put(&a, root, "esc", lb_jtree_str(&a, "q\"/\\\n\x01", 6));
	lb_jtree_put(&a, root, "nul", lb_jtree_str_copy(&a, nul, 3));
	raw = lb_jtree_str(&a, "QUJD", 4);
	raw->num = 1; /* needs no escapes: written as is */
	lb_jtree_put(&a, root, "b64", raw);
	/* bytes encoded as the text is written */
	lb_jtree_put(&a, root, "enc",
	    lb_jtree_b64(&a,
	        "\xff\x00"
	        "ab",
	        4));
	lb_jtree_put(&a, root, "enc0", lb_jtree_b64(&a, "", 0));
	lb_jtree_push(&a, arr, lb_jtree_int(&a, 1));
	lb_jtree_append(&a, arr, NULL, NULL);
	lb_jtree_push(&a, arr, lb_jtree_new(&a, LB_JTREE_OBJ));
	lb_jtree_push(&a, arr, lb_jtree_new(&a, LB_JTREE_ARR));
	lb_jtree_put(&a, root, "arr", arr);
	CU_ASSERT_EQUAL(a.oom, 0);
	check_tree(root,
	    "{\"t\":true,\"f\":false,\"n\":-9223372036854775808,"
	    "\"null\":null,\"esc\":\"q\\\"/\\\\\\n\\u0001\","
	    "\"nul\":\"a\\u0000b\",\"b64\":\"QUJD\",\"enc\":\"/wBhYg==\","
	    "\"enc0\":\"\",\"arr\":[1,null,{},[]]}");
	lb_arena_free(&a);
}

/* Raw JSON text: written as is, parsed into json-c the same. */
static void
test_raw(void)
{
	struct lb_arena a = { 0 };
	struct lb_jnode *root = lb_jtree_new(&a, LB_JTREE_OBJ);
	const char *ctx = "{\"a\":\"1\",\"n\":null,\"l\":2}";

	lb_jtree_put(&a, root, "ctx", lb_jtree_raw(&a, ctx, strlen(ctx)));
	lb_jtree_put(&a, root, "arr", lb_jtree_raw(&a, "[1,[true]]", 10));
	lb_jtree_put(&a, root, "null", lb_jtree_raw(&a, "null", 4));
	CU_ASSERT_EQUAL(a.oom, 0);
	check_tree(root,
	    "{\"ctx\":{\"a\":\"1\",\"n\":null,\"l\":2},"
	    "\"arr\":[1,[true]],\"null\":null}");
	lb_arena_free(&a);
}

/* A repeated dynamic key keeps its place and takes the new value, below
 * and above the size where objects get an index. */
static void
test_dynamic_keys(void)
{
	struct lb_arena a = { 0 };
	struct lb_jnode *small = lb_jtree_new(&a, LB_JTREE_OBJ);
	struct lb_jnode *big = lb_jtree_new(&a, LB_JTREE_OBJ);
	json_object *o;
	char key[16];
	int oom = 0;

	lb_jtree_put_dyn(&a, small, "a", lb_jtree_int(&a, 1));
	lb_jtree_put_dyn(&a, small, "b", lb_jtree_int(&a, 2));
	lb_jtree_put_dyn(&a, small, "a", lb_jtree_int(&a, 3));
	check_tree(small, "{\"a\":3,\"b\":2}");
	CU_ASSERT_PTR_NOT_NULL(lb_jtree_find(small, "b"));
	CU_ASSERT_PTR_NULL(lb_jtree_find(small, "c"));

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 300; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			/* the key is copied: the buffer changes next time */
			lb_jtree_put_dyn(
			    &a, big, key, lb_jtree_int(&a, round * 1000 + i));
		}
	CU_ASSERT_EQUAL(big->count, 300);
	CU_ASSERT_PTR_NOT_NULL(big->index);
	CU_ASSERT_EQUAL(lb_jtree_find(big, "k299")->val->num, 1299);
	CU_ASSERT_PTR_NULL(lb_jtree_find(big, "k300"));
	CU_ASSERT_STRING_EQUAL(big->first->key, "k0");
	CU_ASSERT_EQUAL(big->first->val->num, 1000);
	o = lb_jtree_to_json(big, &oom);
	CU_ASSERT_EQUAL(json_object_object_length(o), 300);
	json_object_put(o);
	CU_ASSERT_EQUAL(a.oom, 0);
	lb_arena_free(&a);
}

/* What cannot be represented, or a missing value, marks the arena. */
static void
test_failures(void)
{
	struct lb_arena a = { 0 };
	struct lb_jnode *o = lb_jtree_new(&a, LB_JTREE_OBJ);

	CU_ASSERT_PTR_NULL(lb_jtree_str(&a, "", (size_t)INT_MAX + 1));
	CU_ASSERT_EQUAL(a.oom, 1);
	a.oom = 0;
	lb_jtree_put(&a, o, "x", NULL);
	CU_ASSERT_EQUAL(a.oom, 1);
	a.oom = 0;
	lb_jtree_push(&a, NULL, lb_jtree_int(&a, 1));
	CU_ASSERT_EQUAL(a.oom, 1);
	a.oom = 0;
	lb_jtree_put_dyn(&a, o, NULL, lb_jtree_int(&a, 1));
	CU_ASSERT_EQUAL(a.oom, 1);
	CU_ASSERT_EQUAL(o->count, 0);
	lb_arena_free(&a);
}

void
lb_test_suite_jtree(void)
{
	static CU_TestInfo tests[] = {
		{ "arena", test_arena },
		{ "values and text", test_values },
		{ "raw JSON text", test_raw },
		{ "dynamic keys", test_dynamic_keys },
		{ "failures", test_failures },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("jtree", tests);
}
