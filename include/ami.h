/*
 * ami.h — the umbrella header: everything a host or a binding needs.
 */
#ifndef AMI_H
#define AMI_H

#include "ami/common.h"
#include "ami/store.h"
#include "ami/worker.h"
#include "ami/registry.h"
#include "ami/classify.h"
#include "ami/election.h"
#include "ami/node.h"
#include "ami/webfix.h"
#include "ami/runtime.h"
#include "ami/templates.h"
#include "ami/cex.h"

#endif
