#ifndef PULSEBMS_CMODBUS_SHIM_H
#define PULSEBMS_CMODBUS_SHIM_H
// pkg-config adds -I/usr/include/modbus; the full path keeps the header found without it too.
#include <modbus/modbus.h>
#endif
