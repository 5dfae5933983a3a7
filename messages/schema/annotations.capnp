@0x8bca41e543cdfe3f;
# Annotations the tools read through reflection.

# A fixed-point integer field: the stored integer is value * 10^decimals.
# The dump tool prints such fields as exact decimal strings.
annotation fixed @0xb1d6a3c0e4f2a701 (field) :UInt8;
