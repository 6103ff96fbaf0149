public enum PulseMQTTPlaceholder {}
