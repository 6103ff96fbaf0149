#!/usr/bin/env python3
"""An independent Modbus TCP peer for PulseBMS's interop tests.

pymodbus serves a SunSpec register image (models 1, 802 and 805, then the end marker) built here from the
SunSpec model definitions (protocols.md §1), without any PulseBMS code. The values include the pysunspec2
test vector of model 802. Usage: sunspec_pymodbus_server.py PORT [--no-sunspec]
"""
import asyncio
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncTcpServer

BASE = 40000
NOT_IMPLEMENTED_U16 = 0xFFFF
NOT_IMPLEMENTED_I16 = 0x8000
CELLS = 16


def sf(value):
    """A sunssf as its register (two's complement)."""
    return value & 0xFFFF


def text(value, registers):
    data = value.encode("ascii").ljust(2 * registers, b"\0")
    return [(data[2 * i] << 8) | data[2 * i + 1] for i in range(registers)]


def common_model():
    body = text("PulseBMS Peer", 16) + text("pymodbus pack", 16) + text("", 8) + text("1.2.3", 8) + text("SN-4242", 16)
    body += [1, 0]  # DA, pad
    assert len(body) == 66
    return [1, 66] + body


def battery_base():
    regs = [NOT_IMPLEMENTED_U16] * 64
    regs[0], regs[1] = 802, 62
    regs[2] = 200            # AHRtg, SF 0 -> 200 Ah
    regs[3] = 0x0400         # WHRtg, SF 1 -> 10240 Wh
    regs[4] = 5000           # WChaRteMax, SF 0
    regs[5] = 6000           # WDisChaRteMax
    regs[11] = 0x222E        # SoC, SF -2 -> 87.5 %
    regs[13] = 9650          # SoH, SF -2 -> 96.5 %
    regs[14], regs[15] = 0, 123  # NCyc
    regs[16] = 4             # ChaSt CHARGING
    regs[17] = 0             # LocRemCtl REMOTE
    regs[18] = 7             # Hb
    regs[19] = 0             # CtrlHb
    regs[20] = 0             # AlmRst
    regs[21] = 4             # Typ Li-ion
    regs[22] = 3             # State CONNECTED
    regs[24], regs[25] = 0xFFFF, 0xFFFF  # WarrDt not implemented
    regs[26], regs[27] = 0x0000, 0x4004  # Evt1: bits 2 and 14
    for offset in range(28, 34):
        regs[offset] = 0
    regs[34] = 0x1400        # V, SF -2 -> 51.2 V
    regs[35] = 0x1450        # VMax -> 52.0 V
    regs[36] = 0x1380        # VMin -> 49.92 V
    regs[37] = 0x0D11        # CellVMax, SF -3 -> 3.345 V
    regs[38], regs[39] = 1, 1
    regs[40] = 3290          # CellVMin -> 3.290 V
    regs[41], regs[42] = 1, 1
    regs[43] = 3310          # CellVAvg -> 3.310 V
    regs[44] = 0xFF38        # A, SF -1 -> -20.0 A
    regs[45] = 1000          # AChaMax, SF -1 -> 100.0 A
    regs[46] = 2000          # ADisChaMax -> 200.0 A
    regs[47] = NOT_IMPLEMENTED_I16  # W not implemented
    regs[48] = 0
    regs[49] = NOT_IMPLEMENTED_I16
    regs[50] = 1             # SetOp CONNECT
    regs[51] = 3             # SetInvState STARTED
    scale_factors = [0, 1, 0, NOT_IMPLEMENTED_I16, -2, NOT_IMPLEMENTED_I16, -2, -2, -3, -1, -1, 0]
    for index, value in enumerate(scale_factors):
        regs[52 + index] = sf(value)
    return regs


def battery_module():
    length = 42 + 4 * CELLS
    regs = [NOT_IMPLEMENTED_U16] * (length + 2)
    regs[0], regs[1] = 805, length
    regs[2], regs[3], regs[4] = 1, 1, CELLS  # StrIdx, ModIdx, NCell
    regs[10] = 5296          # V, V_SF -2 -> 52.96 V
    for offset in (16, 18, 20):  # cell temperature max, min, average: int16, not implemented
        regs[offset] = NOT_IMPLEMENTED_I16
    regs[22:38] = text("MOD-0001", 16)
    scale_factors = [0, 0, 0, -2, -3, -1]  # SoC, SoH, DoD, V, CellV, Tmp (38..43)
    for index, value in enumerate(scale_factors):
        regs[38 + index] = sf(value)
    for cell in range(CELLS):
        at = 44 + 4 * cell
        regs[at] = 3300 + cell            # CellV -> 3.300 + cell mV
        regs[at + 1] = sf(250 + cell)     # CellTmp -> 25.0 + cell/10 °C
        regs[at + 2] = 0
        regs[at + 3] = 1 if cell % 2 == 0 else 0  # CellSt bit 0 balancing
    return regs


def image():
    return [0x5375, 0x6E53] + common_model() + battery_base() + battery_module() + [0xFFFF, 0]


async def main():
    port = int(sys.argv[1])
    registers = image()
    if "--no-sunspec" in sys.argv:
        registers[0] = 0x1234
    # pymodbus blocks start at address 1: protocol address N is block address N + 1.
    block = ModbusSequentialDataBlock(BASE + 1, registers)
    context = ModbusServerContext(slaves=ModbusSlaveContext(hr=block, ir=block), single=True)
    await StartAsyncTcpServer(context=context, address=("127.0.0.1", port))


if __name__ == "__main__":
    asyncio.run(main())
