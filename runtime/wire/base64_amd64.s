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
	MOVL    AX, BX
	SHRL    $12, AX
	ANDL    $0xfff, BX
	MOVWLZX (R10)(AX*2), AX
	MOVWLZX (R10)(BX*2), BX
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
	MOVL    AX, BX
	SHRL    $12, AX
	ANDL    $0xfff, BX
	MOVWLZX (R10)(AX*2), AX
	MOVWLZX (R10)(BX*2), BX
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
