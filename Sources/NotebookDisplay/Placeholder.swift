import LSTMKit
