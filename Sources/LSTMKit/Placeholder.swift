import CBLAS
enum LSTMKitPlaceholder {}
