/* test_engine_reload.c - the engine's reload hook (engine.h, struct engine_module.reload):
 * engine_reload() calls every module's hook once with its own context and the engine, skips
 * modules without one, and returns how many hooks failed. */
#include "config.h"

#include "check.h"
#include "engine/engine.h"
#include "output/output.h"

struct probe {
	int calls;
	bool ok;
	struct engine *seen;
};

static bool probe_reload(void *ctx, struct engine *e)
{
	struct probe *p = ctx;
	p->calls++;
	p->seen = e;
	return p->ok;
}

int main(void)
{
	char err[256];
	struct output_cfg oc = {.path = "/dev/null", .format = OUT_FMT_MSGPACK};
	struct output *out;
	if (output_open(&oc, &out, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "output_open: %s\n", err);
		return 1;
	}
	struct emitter *em = emitter_new(out);
	struct engine_cfg cfg;
	engine_cfg_defaults(&cfg);
	cfg.emit_stats = false;
	struct engine *e = engine_new(&cfg, em, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "engine_new: %s\n", err);
		return 1;
	}
	CHECK_EQ_U(engine_reload(e), 0); /* no module: nothing to do, nothing fails */

	struct probe a = {.ok = true}, b = {.ok = false};
	struct engine_module ma = {.name = "a", .ctx = &a, .reload = probe_reload};
	struct engine_module mnone = {.name = "none"};
	struct engine_module mb = {.name = "b", .ctx = &b, .reload = probe_reload};
	CHECK(engine_add_module(e, &ma));
	CHECK(engine_add_module(e, &mnone));
	CHECK(engine_add_module(e, &mb));
	CHECK_EQ_U(engine_reload(e), 1); /* b fails */
	CHECK_EQ_U(a.calls, 1);
	CHECK_EQ_U(b.calls, 1);
	CHECK(a.seen == e);
	CHECK(b.seen == e);
	b.ok = true;
	CHECK_EQ_U(engine_reload(e), 0);
	CHECK_EQ_U(a.calls, 2);
	CHECK_EQ_U(b.calls, 2);

	engine_free(e);
	emitter_free(em);
	CHECK_EQ_U(output_close(out), OUT_OK);
	return check_done("test_engine_reload");
}
