import BMSCore

/// The probe's JSON view of decoded SunSpec models: point names as in the SunSpec model definitions,
/// values scaled, `null` for points the device does not implement.
enum SunSpecProbeJSON {
    static func model(header: SunSpecModelHeader, registers: [UInt16]) -> JSONObject {
        var object: JSONObject = [
            "id": .number(Double(header.id)), "address": .number(Double(header.address)),
            "length": .number(Double(header.length)),
        ]
        do throws(SunSpecError) {
            switch header.id {
            case 1:
                let common = try SunSpecCommonModel(registers: registers)
                object["name"] = "common"
                object["points"] = .object([
                    "Mn": text(common.manufacturer), "Md": text(common.model), "Opt": text(common.options),
                    "Vr": text(common.version), "SN": text(common.serialNumber), "DA": number(common.deviceAddress),
                ])
            case SunSpecBatteryBase.modelID:
                object["name"] = "battery_base"
                object["points"] = .object(batteryBase(try SunSpecBatteryBase(registers: registers)))
            case 803:
                let bank = try SunSpecBatteryBank(registers: registers)
                object["name"] = "battery_bank"
                object["points"] = .object([
                    "NStr": number(bank.stringCount), "NStrCon": number(bank.connectedStringCount),
                    "ModTmpMax": number(bank.moduleTemperatureMax), "ModTmpMin": number(bank.moduleTemperatureMin),
                    "strings": .number(Double(bank.strings.count)),
                ])
            case 804:
                let string = try SunSpecBatteryString(registers: registers)
                object["name"] = "battery_string"
                object["points"] = .object(["modules": .number(Double(string.modules.count))])
            case 805:
                let module = try SunSpecBatteryModule(registers: registers)
                object["name"] = "battery_module"
                object["points"] = .object([
                    "StrIdx": number(module.stringIndex), "ModIdx": number(module.moduleIndex),
                    "NCell": number(module.declaredCellCount), "V": number(module.voltage),
                    "SoC": number(module.soc), "SoH": number(module.soh),
                    "CellVMax": number(module.cellVoltageMax), "CellVMin": number(module.cellVoltageMin),
                    "CellTmpMax": number(module.cellTemperatureMax), "CellTmpMin": number(module.cellTemperatureMin),
                    "SN": text(module.serialNumber),
                    "CellV": .array(module.cellVoltages.map(number)),
                    "CellTmp": .array(module.cellTemperatures.map(number)),
                    "CellBal": .array(module.cellBalancing.map { $0.map(JSONValue.bool) ?? .null }),
                ])
            default:
                object["name"] = "unknown"
            }
        } catch {
            object["error"] = .string(error.description)
        }
        return object
    }

    static func batteryBase(_ model: SunSpecBatteryBase) -> JSONObject {
        [
            "AHRtg": number(model.capacityRating), "WHRtg": number(model.energyRating),
            "WChaRteMax": number(model.chargeRateMax), "WDisChaRteMax": number(model.dischargeRateMax),
            "SoCMax": number(model.socMax), "SoCMin": number(model.socMin), "SoC": number(model.soc),
            "DoD": number(model.depthOfDischarge), "SoH": number(model.soh), "NCyc": number(model.cycleCount),
            "ChaSt": number(model.chargeStatusRaw), "LocRemCtl": number(model.controlModeRaw),
            "Hb": number(model.heartbeat), "Typ": number(model.batteryTypeRaw), "State": number(model.stateRaw),
            "Evt1": number(model.events?.rawValue), "V": number(model.voltage), "VMax": number(model.voltageMax),
            "VMin": number(model.voltageMin), "CellVMax": number(model.cellVoltageMax),
            "CellVMin": number(model.cellVoltageMin), "CellVAvg": number(model.cellVoltageAverage),
            "A": number(model.current), "AChaMax": number(model.chargeCurrentMax), "W": number(model.power),
        ]
    }

    private static func number<Value: BinaryInteger>(_ value: Value?) -> JSONValue {
        value.map { .number(Double($0)) } ?? .null
    }

    private static func number(_ value: Double?) -> JSONValue {
        value.map(JSONValue.number) ?? .null
    }

    private static func text(_ value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }
}
