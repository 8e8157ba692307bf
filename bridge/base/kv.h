/* kv.h - a string pair (environment variable, stage variable, header). */
#ifndef LB_KV_H
#define LB_KV_H

struct lb_kv {
	char *key;
	char *value;
};

#endif /* LB_KV_H */
