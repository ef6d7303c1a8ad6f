enum SwiftCellsPlaceholder {}
