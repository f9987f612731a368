/// The free pages' window hashes, for the lookups of every paid lesson's windows while it renders (some
/// six million in a 10,000-lesson build): open addressing with linear probing, a slot chosen by the high
/// bits of one multiplication (Fibonacci hashing). `Set<Int>` re-hashed each one with SipHash.
struct WindowSet: Sendable {
    private var slots: [Int] = []
    private var mask = 0
    private var shift: UInt64 = 63
    /// 0 marks an empty slot, so a window whose hash is 0 is kept aside.
    private var hasZero = false
    private(set) var isEmpty = true

    init() {}

    init<S: Sequence<Int>>(_ hashes: S) {
        let values = Array(hashes)
        guard !values.isEmpty else { return }
        isEmpty = false
        var capacity = 16
        while capacity < values.count * 2 { capacity <<= 1 }
        slots = [Int](repeating: 0, count: capacity)
        mask = capacity - 1
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        for value in values {
            if value == 0 {
                hasZero = true
                continue
            }
            var index = slot(value)
            while slots[index] != 0 && slots[index] != value { index = (index + 1) & mask }
            slots[index] = value
        }
    }

    func contains(_ value: Int) -> Bool {
        guard !isEmpty else { return false }
        if value == 0 { return hasZero }
        var index = slot(value)
        while true {
            let slot = slots[index]
            if slot == value { return true }
            if slot == 0 { return false }
            index = (index + 1) & mask
        }
    }

    private func slot(_ value: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(value)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }
}
