# man/local.mk - manual pages.
dist_man_MANS += man/kagami.8 man/kagami-cat.1 man/kagami-report.1
