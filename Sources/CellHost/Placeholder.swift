enum CellHostPlaceholder {}
