"""Resource bounds of AIGIF v1 (normative: spec/bitstream.md, "Limits").

Every size a file can declare is checked against these before anything is
allocated, so a hostile file costs at most a few hundred kilobytes of memory.
"""

SIGNATURE = b"\x89AIG"
# How systems name the format (spec/bitstream.md section 3.1); spec/magic/aigif.magic is generated from these.
FILE_EXTENSION = ".aigif"
MEDIA_TYPE = "application/vnd.aigif"  # vendor tree, to be registered with IANA; provisional until then
FORMAT_DESCRIPTION = "AIGIF AI-generated image"
MAJOR_VERSION = 1
MINOR_VERSION = 1  # the newest minor version (this specification); a file carries the lowest one its features need
HEADER_SIZE = 9  # signature (4) + version (1) + crc32 (4)

MAX_UVARINT_BYTES = 10  # LEB128 of a 64-bit value
MAX_EXP_CODE_BYTES = 64  # 63 x 0xFF + final byte: values 0..16319
MAX_STRING_BYTES = 16384  # prompt, negative prompt (UTF-8 bytes, after decompression)
MAX_TEXT_BLOCK_BYTES = 65536  # compressed text block as stored
MAX_EXTENSION_BYTES = 64 * 1024 * 1024  # one extension record's body
MAX_EXTENSION_RECORDS = 1024  # so a large file cannot make a reader hold millions of tiny records
MAX_FILE_BYTES = 256 * 1024 * 1024  # what the reader accepts at all

MIN_STEPS, MAX_STEPS = 1, 1000
MIN_SIZE_UNITS, MAX_SIZE_UNITS = 1, 2048  # height/width in units of 8 pixels: 8..16384 px
SIZE_UNIT = 8
MAX_COMPACT_QUARTERS = 1 << 24  # compact floats k/4 with k < 2**24 are exact in float32
