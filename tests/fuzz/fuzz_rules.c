/* fuzz_rules.c - fuzz the rule parser (lax and strict), the prefilter build, and the payload
 * matcher: the input is parsed as rule text, then every parsed rule runs on the input bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "signatures/rules.h"
#include "signatures/sig.h"

static const char *fuzz_var(void *ctx, const char *name)
{
	(void)ctx;
	if (!strcmp(name, "A"))
		return "[10.0.0.0/8,!10.1.0.0/16,$B]";
	if (!strcmp(name, "B"))
		return "[::1,fe80::/10]";
	if (!strcmp(name, "L"))
		return "[$L]";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	for (int lax = 0; lax < 2; lax++) {
		struct rule_parse_cfg cfg = {.var = fuzz_var, .lax = lax == 1};
		struct rule_set *rs = rule_set_new();
		(void)rule_parse_text(rs, &cfg, (const char *)data, size, "fuzz.rules", err, sizeof(err));
		if (lax && rule_set_compile(rs, err, sizeof(err)) == RULE_OK) {
			struct sig *s;
			if (sig_new(&s, rs, NULL, err, sizeof(err)) != SIG_OK)
				abort();
			const struct rule_set *cur = sig_rules(s);
			for (size_t i = 0; i < cur->n; i++) {
				size_t a, b;
				if (sig_payload_match(s, cur->rules[i], data, size, &a, &b) && (a > size || b > size))
					abort();
			}
			sig_free(s);
			continue;
		}
		rule_set_free(rs);
	}
	return 0;
}
