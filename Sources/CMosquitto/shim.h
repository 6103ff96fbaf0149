#ifndef PULSEBMS_CMOSQUITTO_SHIM_H
#define PULSEBMS_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
