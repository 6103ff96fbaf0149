#ifndef PULSEBMS_CSOCKETCAN_SHIM_H
#define PULSEBMS_CSOCKETCAN_SHIM_H
#include <linux/can.h>
#include <linux/can/raw.h>
#include <linux/can/netlink.h>
#include <libsocketcan.h>
#endif
