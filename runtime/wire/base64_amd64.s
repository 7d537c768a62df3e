//go:build !purego

#include "textflag.h"

// Constants for base64EncodeAVX2, broadcast to every lane when loaded.

// b64shuf gathers each 3-byte group (a, b, c) into a 32-bit lane as
// b, a, c, b so that two multiplies can move the four 6-bit fields into
// place (the same 16 bytes for both 128-bit lanes).
DATA b64shuf<>+0(SB)/8, $0x0405030401020001
DATA b64shuf<>+8(SB)/8, $0x0a0b090a07080607
GLOBL b64shuf<>(SB), RODATA|NOPTR, $16

// b64shift is what to add to a 6-bit value to get its character, looked up
// by the value's class: 0 for 26..51 (+71, 'a'-26), 1..10 for 52..61
// (-4, '0'-52), 11 for 62 (-19, '+'), 12 for 63 (-16, '/'), 13 for 0..25
// (+65, 'A').
DATA b64shift<>+0(SB)/8, $0xfcfcfcfcfcfcfc47
DATA b64shift<>+8(SB)/8, $0x000041f0edfcfcfc
GLOBL b64shift<>(SB), RODATA|NOPTR, $16

// Per 32-bit lane: the masks and multipliers that unpack 3 bytes into four
// 6-bit fields, then the bytes 51, 26 and 13 that classify the fields.
DATA b64mask1<>+0(SB)/4, $0x0fc0fc00
GLOBL b64mask1<>(SB), RODATA|NOPTR, $4
DATA b64mul1<>+0(SB)/4, $0x04000040
GLOBL b64mul1<>(SB), RODATA|NOPTR, $4
DATA b64mask2<>+0(SB)/4, $0x003f03f0
GLOBL b64mask2<>(SB), RODATA|NOPTR, $4
DATA b64mul2<>+0(SB)/4, $0x01000010
GLOBL b64mul2<>(SB), RODATA|NOPTR, $4
DATA b64class<>+0(SB)/4, $0x000d1a33
GLOBL b64class<>(SB), RODATA|NOPTR, $4

// LOOKUP12 looks the two 12-bit halves of the 24 bits in AX up in
// b64Pairs (at R10): AX gets the first two characters, BX the last two.
#define LOOKUP12 MOVL AX, BX; SHRL $12, AX; ANDL $0xfff, BX; MOVWLZX (R10)(AX*2), AX; MOVWLZX (R10)(BX*2), BX

// func base64EncodeAVX2(dst, src []byte)
//
// Encodes all of src into the first (len(src)+2)/3*4 bytes of dst, padded
// with '=': 24 bytes into 32 characters per vector step while at least 28
// bytes remain (a step loads 16 bytes at 0 and 16 at 12), then 3 bytes at
// a time through the 12-bit table b64Pairs, then the last one or two
// bytes. One call does it all: the fixed cost of a call matters for the
// 30- to 200-byte payloads of SWIM metadata and Raft entries.
TEXT ·base64EncodeAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	LEAQ (SI)(CX*1), R8 // end of src
	CMPQ CX, $28
	JB   scalar

	VBROADCASTI128 b64shuf<>(SB), Y8
	VPBROADCASTD   b64mask1<>(SB), Y9
	VPBROADCASTD   b64mul1<>(SB), Y10
	VPBROADCASTD   b64mask2<>(SB), Y11
	VPBROADCASTD   b64mul2<>(SB), Y12
	VPBROADCASTB   b64class<>+0(SB), Y13
	VPBROADCASTB   b64class<>+1(SB), Y14
	VPBROADCASTB   b64class<>+2(SB), Y15
	VBROADCASTI128 b64shift<>(SB), Y7
	LEAQ           -28(R8), R9 // a step may start at or before R9

loop:
	VMOVDQU     (SI), X0
	VINSERTI128 $1, 12(SI), Y0, Y0
	VPSHUFB     Y8, Y0, Y0
	VPAND       Y9, Y0, Y1
	VPMULHUW    Y10, Y1, Y1
	VPAND       Y11, Y0, Y2
	VPMULLW     Y12, Y2, Y2
	VPOR        Y1, Y2, Y0
	VPSUBUSB    Y13, Y0, Y1
	VPCMPGTB    Y0, Y14, Y2
	VPAND       Y15, Y2, Y2
	VPOR        Y2, Y1, Y1
	VPSHUFB     Y1, Y7, Y1
	VPADDB      Y1, Y0, Y0
	VMOVDQU     Y0, (DI)
	ADDQ        $32, DI
	ADDQ        $24, SI
	CMPQ        SI, R9
	JBE         loop
	VZEROUPPER

scalar:
	LEAQ ·b64Pairs(SB), R10
	LEAQ -3(R8), R9 // a triple may start at or before R9
	CMPQ SI, R9
	JA   tail

triple:
	MOVBLZX (SI), AX
	MOVBLZX 1(SI), BX
	MOVBLZX 2(SI), DX
	SHLL    $16, AX
	SHLL    $8, BX
	ORL     BX, AX
	ORL     DX, AX
	LOOKUP12
	SHLL    $16, BX
	ORL     BX, AX
	MOVL    AX, (DI)
	ADDQ    $3, SI
	ADDQ    $4, DI
	CMPQ    SI, R9
	JBE     triple

tail:
	MOVQ    R8, CX
	SUBQ    SI, CX // 0, 1 or 2 bytes left
	JZ      done
	MOVBLZX (SI), AX
	SHLL    $16, AX
	CMPQ    CX, $1
	JEQ     one
	MOVBLZX 1(SI), BX
	SHLL    $8, BX
	ORL     BX, AX
	LOOKUP12
	MOVW    AX, (DI)
	MOVB    BX, 2(DI)
	MOVB    $0x3d, 3(DI) // '='
	RET

one:
	SHRL    $12, AX
	MOVWLZX (R10)(AX*2), AX
	MOVW    AX, (DI)
	MOVW    $0x3d3d, 2(DI) // "=="

done:
	RET

// Constants for base64EncodeAVX512.

// b64vbmiShuf gathers the 16 3-byte groups of 48 input bytes (a, b, c) into
// the 16 32-bit lanes as b, a, c, b, as b64shuf does for AVX2.
DATA b64vbmiShuf<>+0(SB)/8, $0x0405030401020001
DATA b64vbmiShuf<>+8(SB)/8, $0x0a0b090a07080607
DATA b64vbmiShuf<>+16(SB)/8, $0x10110f100d0e0c0d
DATA b64vbmiShuf<>+24(SB)/8, $0x1617151613141213
DATA b64vbmiShuf<>+32(SB)/8, $0x1c1d1b1c191a1819
DATA b64vbmiShuf<>+40(SB)/8, $0x222321221f201e1f
DATA b64vbmiShuf<>+48(SB)/8, $0x2829272825262425
DATA b64vbmiShuf<>+56(SB)/8, $0x2e2f2d2e2b2c2a2b
GLOBL b64vbmiShuf<>(SB), RODATA|NOPTR, $64

// b64vbmiShift selects, per 32-bit lane b, a, c, b, the four 6-bit fields
// at bits 10, 4, 22 and 16: the four characters' indices, in order.
DATA b64vbmiShift<>+0(SB)/8, $0x3036242a1016040a
GLOBL b64vbmiShift<>(SB), RODATA|NOPTR, $8

// b64alphabet is the standard base64 alphabet, looked up by VPERMB.
DATA b64alphabet<>+0(SB)/8, $0x4847464544434241
DATA b64alphabet<>+8(SB)/8, $0x504f4e4d4c4b4a49
DATA b64alphabet<>+16(SB)/8, $0x5857565554535251
DATA b64alphabet<>+24(SB)/8, $0x6665646362615a59
DATA b64alphabet<>+32(SB)/8, $0x6e6d6c6b6a696867
DATA b64alphabet<>+40(SB)/8, $0x767574737271706f
DATA b64alphabet<>+48(SB)/8, $0x333231307a797877
DATA b64alphabet<>+56(SB)/8, $0x2f2b393837363534
GLOBL b64alphabet<>(SB), RODATA|NOPTR, $64

// func base64EncodeAVX512(dst, src []byte)
//
// base64EncodeAVX2 for CPUs with AVX-512 VBMI and BMI2: 48 bytes into 64
// characters per step with a byte permute that places each 3-byte group
// in a 32-bit lane, a multishift that extracts the four 6-bit indices,
// and a byte permute through the alphabet. The last 1 to 47 bytes take
// one more step with a masked load, which reads nothing past src, and a
// masked store, which writes nothing past the (len(src)+2)/3*4 bytes of
// dst; '=' then replaces the characters that only encode padding.
TEXT ·base64EncodeAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX

	VMOVDQU64    b64vbmiShuf<>(SB), Z1
	VPBROADCASTQ b64vbmiShift<>(SB), Z2
	VMOVDQU64    b64alphabet<>(SB), Z3
	MOVQ         $0xffffffffffff, AX
	KMOVQ        AX, K1 // 48 bytes
	CMPQ         CX, $48
	JB           tail

loop:
	VMOVDQU8.Z     (SI), K1, Z0
	VPERMB         Z0, Z1, Z0
	VPMULTISHIFTQB Z0, Z2, Z0
	VPERMB         Z3, Z0, Z0
	VMOVDQU64      Z0, (DI)
	ADDQ           $48, SI
	ADDQ           $64, DI
	SUBQ           $48, CX
	CMPQ           CX, $48
	JAE            loop

tail:
	TESTQ CX, CX
	JZ    done
	MOVQ  $-1, AX
	BZHIQ CX, AX, BX
	KMOVQ BX, K1 // the CX bytes left
	VMOVDQU8.Z     (SI), K1, Z0
	VPERMB         Z0, Z1, Z0
	VPMULTISHIFTQB Z0, Z2, Z0
	VPERMB         Z3, Z0, Z0

	// DX = CX/3 (exact for CX < 48), AX = (CX+2)/3*4 characters.
	IMUL3Q $21846, CX, DX
	SHRQ  $16, DX
	LEAQ  2(CX), AX
	IMUL3Q $21846, AX, AX
	SHRQ  $16, AX
	SHLQ  $2, AX
	MOVQ  $-1, BX
	BZHIQ AX, BX, BX
	KMOVQ BX, K2
	VMOVDQU8 Z0, K2, (DI)
	ADDQ  AX, DI // end of the output

	// CX mod 3 is 1: "==" over the last two; 2: "=" over the last one.
	LEAQ (DX)(DX*2), DX
	SUBQ DX, CX
	CMPQ CX, $1
	JB   done
	JA   pad1
	MOVW $0x3d3d, -2(DI)
	JMP  done

pad1:
	MOVB $0x3d, -1(DI)

done:
	VZEROUPPER
	RET

// Constants for base64DecodeAVX512.

// b64decode maps a character below 0x80 to its 6-bit value, and every
// other character to 0x80 (not base64).
DATA b64decode<>+0(SB)/8, $0x8080808080808080
DATA b64decode<>+8(SB)/8, $0x8080808080808080
DATA b64decode<>+16(SB)/8, $0x8080808080808080
DATA b64decode<>+24(SB)/8, $0x8080808080808080
DATA b64decode<>+32(SB)/8, $0x8080808080808080
DATA b64decode<>+40(SB)/8, $0x3f8080803e808080
DATA b64decode<>+48(SB)/8, $0x3b3a393837363534
DATA b64decode<>+56(SB)/8, $0x8080808080803d3c
DATA b64decode<>+64(SB)/8, $0x0605040302010080
DATA b64decode<>+72(SB)/8, $0x0e0d0c0b0a090807
DATA b64decode<>+80(SB)/8, $0x161514131211100f
DATA b64decode<>+88(SB)/8, $0x8080808080191817
DATA b64decode<>+96(SB)/8, $0x201f1e1d1c1b1a80
DATA b64decode<>+104(SB)/8, $0x2827262524232221
DATA b64decode<>+112(SB)/8, $0x302f2e2d2c2b2a29
DATA b64decode<>+120(SB)/8, $0x8080808080333231
GLOBL b64decode<>(SB), RODATA|NOPTR, $128

// b64decodePack gathers bytes 2, 1, 0 of each 32-bit lane (the three
// decoded bytes, most significant first) into 48 contiguous bytes.
DATA b64decodePack<>+0(SB)/8, $0x090a040506000102
DATA b64decodePack<>+8(SB)/8, $0x161011120c0d0e08
DATA b64decodePack<>+16(SB)/8, $0x1c1d1e18191a1415
DATA b64decodePack<>+24(SB)/8, $0x292a242526202122
DATA b64decodePack<>+32(SB)/8, $0x363031322c2d2e28
DATA b64decodePack<>+40(SB)/8, $0x3c3d3e38393a3435
DATA b64decodePack<>+48(SB)/8, $0x0000000000000000
DATA b64decodePack<>+56(SB)/8, $0x0000000000000000
GLOBL b64decodePack<>(SB), RODATA|NOPTR, $64

// b64decodeMerge holds the multipliers that merge four 6-bit values into
// 24 bits: 0x40, 1 per byte pair, then 0x1000, 1 per 16-bit pair.
DATA b64decodeMerge<>+0(SB)/4, $0x01400140
DATA b64decodeMerge<>+4(SB)/4, $0x00011000
GLOBL b64decodeMerge<>(SB), RODATA|NOPTR, $8

// func base64DecodeAVX512(dst, src []byte) int
//
// Decodes the longest prefix of src, in steps of up to 64 characters,
// whose steps hold only base64 alphabet characters (no padding, no
// newlines), and returns how many characters it consumed. len(src) must
// be a multiple of 4 and dst must hold len(src)/4*3 bytes. Per step a
// masked load reads nothing past src, a two-table byte permute maps the
// characters to 6-bit values (0x80 marks any other character), two
// multiply-adds merge them into 24-bit lanes, a byte permute packs the
// lanes, and a masked store writes exactly the decoded bytes. A step with
// a character outside the alphabet is left undone: the caller decodes the
// rest with encoding/base64, which reports it. Needs AVX-512 VBMI, BW and
// BMI2.
TEXT ·base64DecodeAVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	XORQ AX, AX // characters consumed

	VMOVDQU64    b64decode<>+0(SB), Z4
	VMOVDQU64    b64decode<>+64(SB), Z5
	VMOVDQU64    b64decodePack<>(SB), Z6
	VPBROADCASTD b64decodeMerge<>+0(SB), Z7
	VPBROADCASTD b64decodeMerge<>+4(SB), Z8

loop:
	MOVQ  CX, DX
	SUBQ  AX, DX // characters left
	JZ    done
	MOVQ  $-1, BX
	MOVQ  $0xffffffffffff, R8 // 48 bytes out
	CMPQ  DX, $64
	JAE   step
	BZHIQ DX, BX, BX // DX < 64 here: BZHI reads only its low byte
	SHRQ  $2, DX
	LEAQ  (DX)(DX*2), DX // DX/4*3 bytes out
	MOVQ  $-1, R8
	BZHIQ DX, R8, R8

step:
	KMOVQ      BX, K1
	KMOVQ      R8, K3
	VMOVDQU8.Z (SI)(AX*1), K1, Z0
	VMOVDQA64  Z0, Z1
	VPERMI2B   Z5, Z4, Z1 // Z1 = b64decode[c&0x7f]
	VPORQ      Z0, Z1, Z2 // high bit: not base64, or c >= 0x80
	VPMOVB2M   Z2, K2
	KTESTQ     K1, K2
	JNZ        done
	VPMADDUBSW Z7, Z1, Z1
	VPMADDWD   Z8, Z1, Z1
	VPERMB     Z1, Z6, Z1
	VMOVDQU8   Z1, K3, (DI)
	KMOVQ      K3, R8
	POPCNTQ    R8, R8
	ADDQ       R8, DI
	KMOVQ      K1, BX
	POPCNTQ    BX, BX
	ADDQ       BX, AX
	JMP        loop

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET
