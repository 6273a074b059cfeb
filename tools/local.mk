# tools/local.mk - capture generator, benchmark helpers.
