"""The byte-level tokenizer that server/llm/gguf/tinyModel.ts declares, as llama.cpp's SPM runs it.

Vocabulary: <unk> (0), <s> (1), </s> (2), byte tokens <0x00>..<0xFF> at ids 3..258 (byte b -> 3 + b), then the
normal token "\u2581" (259). SPM rewrites every space to "\u2581" before tokenizing, so a space byte becomes 259, and
every other byte falls back to its byte token; add_space_prefix is false, so nothing is prepended. node-llama-cpp
puts BOS first when it evaluates a prompt (model.tokenize itself adds nothing).
"""

UNK_ID = 0
BOS_ID = 1
EOS_ID = 2
BYTE_OFFSET = 3
SPACE_ID = BYTE_OFFSET + 256
VOCAB_SIZE = SPACE_ID + 1


def encode(text: str, bos: bool = True) -> list[int]:
    ids = [BOS_ID] if bos else []
    for byte in text.encode("utf-8"):
        ids.append(SPACE_ID if byte == 0x20 else BYTE_OFFSET + byte)
    return ids


def decode(ids) -> str:
    out = bytearray()
    for token in ids:
        token = int(token)
        if token == SPACE_ID:
            out.append(0x20)
        elif BYTE_OFFSET <= token < SPACE_ID:
            out.append(token - BYTE_OFFSET)
    return out.decode("utf-8", errors="replace")
