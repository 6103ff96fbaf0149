/// An acceptance filter: a data frame of the filter's format passes when `frameID & mask == id & mask`
/// (or fails, when inverted). Remote and error frames never pass.
///
/// `linuxFilter` gives the `struct can_filter` words for `setsockopt(CAN_RAW_FILTER)`; `minimalFilters(for:)`
/// computes the fewest filters that pass exactly the identifiers a profile reads.
public struct CANFilter: Sendable, Hashable, CustomStringConvertible {
    /// The identifier bits to compare.
    public var id: UInt32
    /// Which identifier bits are compared (1 = must equal `id`).
    public var mask: UInt32
    /// Whether the filter is for 29-bit identifiers (otherwise 11-bit).
    public var isExtended: Bool
    /// Pass every frame of the format except the matching ones.
    public var isInverted: Bool

    /// A filter; `id` and `mask` are cut to 11 or 29 bits.
    public init(id: UInt32, mask: UInt32, isExtended: Bool = false, isInverted: Bool = false) {
        let width = isExtended ? CANFrame.maximumExtendedID : CANFrame.maximumStandardID
        self.id = id & width & mask
        self.mask = mask & width
        self.isExtended = isExtended
        self.isInverted = isInverted
    }

    /// A filter passing exactly one identifier.
    public static func exact(id: UInt32, isExtended: Bool = false) -> CANFilter {
        CANFilter(id: id, mask: isExtended ? CANFrame.maximumExtendedID : CANFrame.maximumStandardID, isExtended: isExtended)
    }

    /// Whether `frame` passes: a data frame of this format whose identifier matches (or, inverted, does not).
    public func matches(_ frame: CANFrame) -> Bool {
        guard !frame.isError, !frame.isRemote, frame.isExtended == isExtended else { return false }
        return (frame.id & mask == id) != isInverted
    }

    /// Whether a data frame with identifier `frameID` of this filter's format passes.
    public func matches(id frameID: UInt32) -> Bool {
        (frameID & mask == id) != isInverted
    }

    /// The `struct can_filter` words: `can_id` carries `CAN_EFF_FLAG` for extended filters and
    /// `CAN_INV_FILTER` when inverted; `can_mask` also compares the EFF and RTR flags, so only data frames of
    /// the filter's format pass.
    public var linuxFilter: (id: UInt32, mask: UInt32) {
        var word = id
        if isExtended { word |= LinuxCAN.extendedFrameFlag }
        if isInverted { word |= LinuxCAN.inverseFilterFlag }
        return (word, mask | LinuxCAN.extendedFrameFlag | LinuxCAN.remoteFrameFlag)
    }

    /// `0x350/0x7F0` (`~` in front when inverted, `x` after an extended identifier).
    public var description: String {
        let width = isExtended ? 8 : 3
        return "\(isInverted ? "~" : "")0x\(CANHex.string(id, width: width))\(isExtended ? "x" : "")/0x\(CANHex.string(mask, width: width))"
    }

    /// The fewest filters that together pass exactly `ids` (as 11-bit or 29-bit identifiers) and nothing else.
    ///
    /// Identifiers are merged into prime implicants (Quine–McCluskey) and covered exactly; above a few dozen
    /// candidate filters the cover is greedy. When the controller takes fewer filters than that, pass
    /// `maximumCount`: filters are then merged pairwise, each time the pair whose merge passes the fewest
    /// identifiers, so that the result may pass some identifiers not asked for (decoders ignore those).
    ///
    /// - Parameters:
    ///   - ids: the identifiers to pass; values wider than the format are cut to it.
    ///   - maximumCount: the most filters to return (at least 1).
    public static func minimalFilters(for ids: Set<UInt32>, isExtended: Bool = false, maximumCount: Int = 512) -> [CANFilter] {
        let width = isExtended ? CANFrame.maximumExtendedID : CANFrame.maximumStandardID
        let minterms = Set(ids.map { $0 & width })
        guard !minterms.isEmpty else { return [] }
        var cubes = FilterCover.cover(minterms, width: width)
        while cubes.count > max(1, maximumCount) {
            cubes = FilterCover.mergeCheapestPair(cubes, width: width)
        }
        return cubes.map { CANFilter(id: $0.value, mask: width & ~$0.free, isExtended: isExtended) }
            .sorted { ($0.id, $0.mask) < ($1.id, $1.mask) }
    }

    /// The fewest filters for standard and extended identifiers together (standard ones first).
    public static func minimalFilters(
        standardIDs: Set<UInt32>, extendedIDs: Set<UInt32>, maximumCount: Int = 512
    ) -> [CANFilter] {
        minimalFilters(for: standardIDs, isExtended: false, maximumCount: maximumCount)
            + minimalFilters(for: extendedIDs, isExtended: true, maximumCount: maximumCount)
    }
}

/// Prime implicants and an exact (or, when large, greedy) cover, for `CANFilter.minimalFilters`.
enum FilterCover {
    /// A set of identifiers: `value` on the compared bits, any value on the `free` bits (`value & free == 0`).
    struct Cube: Hashable {
        var value: UInt32
        var free: UInt32

        func contains(_ id: UInt32) -> Bool { id & ~free == value }
        var size: UInt64 { 1 << UInt64(free.nonzeroBitCount) }
    }

    /// The fewest cubes whose union is exactly `minterms`.
    static func cover(_ minterms: Set<UInt32>, width: UInt32) -> [Cube] {
        let primes = primeImplicants(minterms, width: width)
        let ids = minterms.sorted()
        let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.element, $0.offset) })
        // Which identifiers (indices into `ids`) each prime passes, and which primes pass each identifier.
        var coverage = [Set<Int>](repeating: [], count: primes.count)
        var covering = [[Int]](repeating: [], count: ids.count)
        for (primeIndex, prime) in primes.enumerated() {
            for id in ids where prime.contains(id) {
                guard let index = position[id] else { continue }
                coverage[primeIndex].insert(index)
                covering[index].append(primeIndex)
            }
        }
        var chosen: [Int] = []
        var uncovered = Set(ids.indices)
        // Essential primes: the only cover of some identifier.
        for index in ids.indices where covering[index].count == 1 {
            let only = covering[index][0]
            if !chosen.contains(only) {
                chosen.append(only)
                uncovered.subtract(coverage[only])
            }
        }
        if !uncovered.isEmpty {
            let candidates = primes.indices.filter { prime in
                !chosen.contains(prime) && !coverage[prime].isDisjoint(with: uncovered)
            }
            var best = greedy(remaining: uncovered, candidates: candidates, coverage: coverage)
            if candidates.count <= 40 {
                var budget = 200_000
                search(
                    remaining: uncovered, candidates: candidates, coverage: coverage, picked: [], best: &best,
                    budget: &budget)
            }
            chosen += best
        }
        return chosen.map { primes[$0] }
    }

    /// Every maximal cube inside `minterms`.
    static func primeImplicants(_ minterms: Set<UInt32>, width: UInt32) -> [Cube] {
        var level = Set(minterms.map { Cube(value: $0, free: 0) })
        var primes: [Cube] = []
        while !level.isEmpty {
            var next = Set<Cube>()
            var merged = Set<Cube>()
            for cube in level {
                var bits = width & ~cube.free
                while bits != 0 {
                    let bit = bits & (~bits &+ 1)
                    bits &= bits - 1
                    let partner = Cube(value: cube.value ^ bit, free: cube.free)
                    if level.contains(partner) {
                        merged.insert(cube)
                        next.insert(Cube(value: cube.value & ~bit, free: cube.free | bit))
                    }
                }
            }
            primes += level.subtracting(merged)
            level = next
        }
        return primes.sorted { ($0.value, $0.free) < ($1.value, $1.free) }
    }

    private static func greedy(remaining: Set<Int>, candidates: [Int], coverage: [Set<Int>]) -> [Int] {
        var uncovered = remaining
        var picked: [Int] = []
        while !uncovered.isEmpty {
            var best: (candidate: Int, gain: Int)?
            for candidate in candidates {
                let gain = coverage[candidate].intersection(uncovered).count
                if gain > (best?.gain ?? 0) { best = (candidate, gain) }
            }
            guard let choice = best else { break }
            picked.append(choice.candidate)
            uncovered.subtract(coverage[choice.candidate])
        }
        return picked
    }

    /// Branch and bound over the identifier with the fewest covering candidates; stops after `budget` nodes.
    private static func search(
        remaining: Set<Int>, candidates: [Int], coverage: [Set<Int>], picked: [Int], best: inout [Int],
        budget: inout Int
    ) {
        budget -= 1
        guard budget > 0 else { return }
        guard !remaining.isEmpty else {
            if picked.count < best.count { best = picked }
            return
        }
        guard picked.count + 1 < best.count else { return }
        var pivot: (id: Int, options: [Int])?
        for id in remaining.sorted() {  // sorted: the same input always gives the same filters
            let options = candidates.filter { coverage[$0].contains(id) }
            if options.count < (pivot?.options.count ?? Int.max) { pivot = (id, options) }
        }
        guard let pivot else { return }
        for candidate in pivot.options {
            search(
                remaining: remaining.subtracting(coverage[candidate]), candidates: candidates, coverage: coverage,
                picked: picked + [candidate], best: &best, budget: &budget)
        }
    }

    /// `cubes` with the pair whose merged cube is smallest replaced by that cube (and any cube it contains
    /// dropped).
    static func mergeCheapestPair(_ cubes: [Cube], width: UInt32) -> [Cube] {
        guard cubes.count >= 2 else { return cubes }
        var bestMerge: Cube?
        for first in cubes.indices {
            for second in cubes.indices where second > first {
                let free = (cubes[first].free | cubes[second].free | (cubes[first].value ^ cubes[second].value)) & width
                let merge = Cube(value: cubes[first].value & ~free, free: free)
                if bestMerge.map({ merge.size < $0.size }) ?? true { bestMerge = merge }
            }
        }
        guard let merge = bestMerge else { return cubes }
        return [merge] + cubes.filter { cube in !(cube.free & ~merge.free == 0 && cube.value & ~merge.free == merge.value) }
    }
}
