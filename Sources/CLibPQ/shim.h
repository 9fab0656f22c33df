#ifndef DEPLOY_POSTMORTEM_CLIBPQ_SHIM_H
#define DEPLOY_POSTMORTEM_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
