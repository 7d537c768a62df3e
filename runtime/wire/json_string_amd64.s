//go:build !purego

#include "textflag.h"

// The bytes jsonSafeCopyAVX512 compares with, broadcast when loaded:
// 0x20 and 0x60 for the range test, then " & < > and backslash.
DATA jsonStrConst<>+0(SB)/8, $0x5c3e3c2622602000
GLOBL jsonStrConst<>(SB), RODATA|NOPTR, $8

// SAFEPREFIX sets BX to the index of the first unsafe byte, the lowest set
// bit of K2, and K1 to the mask of the bytes before it.
#define SAFEPREFIX KMOVQ K2, BX; TZCNTQ BX, BX; MOVQ $-1, DX; BZHIQ BX, DX, DX; KMOVQ DX, K1

// func jsonSafeCopyAVX512(dst []byte, s string) int
//
// Copies the longest prefix of s that encoding/json writes unescaped (the
// bytes 0x20 to 0x7f but " & < > and backslash) into dst, which holds at
// least len(s) bytes, and returns its length: len(s) when all of s is
// safe. 64 bytes per step; masked loads and stores read nothing past s
// and write nothing past the prefix. Needs AVX-512 BW and BMI1/2.
TEXT ·jsonSafeCopyAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ s_base+24(FP), SI
	MOVQ s_len+32(FP), CX
	XORQ AX, AX

	VPBROADCASTB jsonStrConst<>+1(SB), Z20 // 0x20
	VPBROADCASTB jsonStrConst<>+2(SB), Z21 // 0x60
	VPBROADCASTB jsonStrConst<>+3(SB), Z22 // "
	VPBROADCASTB jsonStrConst<>+4(SB), Z23 // &
	VPBROADCASTB jsonStrConst<>+5(SB), Z24 // <
	VPBROADCASTB jsonStrConst<>+6(SB), Z25 // >
	VPBROADCASTB jsonStrConst<>+7(SB), Z26 // backslash

loop:
	MOVQ  CX, DX
	SUBQ  AX, DX // bytes left
	JZ    done
	MOVQ  $-1, BX
	CMPQ  DX, $64
	JAE   load
	BZHIQ DX, BX, BX // BZHI reads only the low byte of DX: below 64 here

load:
	KMOVQ BX, K1

	VMOVDQU8.Z (SI)(AX*1), K1, Z0
	VPSUBB     Z20, Z0, Z1
	VPCMPUB    $5, Z21, Z1, K1, K2 // c-0x20 >= 0x60: a control byte or 0x80 and above
	VPCMPEQB   Z22, Z0, K3
	KORQ       K3, K2, K2
	VPCMPEQB   Z23, Z0, K3
	KORQ       K3, K2, K2
	VPCMPEQB   Z24, Z0, K3
	KORQ       K3, K2, K2
	VPCMPEQB   Z25, Z0, K3
	KORQ       K3, K2, K2
	VPCMPEQB   Z26, Z0, K3
	KORQ       K3, K2, K2
	KORTESTQ   K2, K2
	JNZ        unsafe

	VMOVDQU8 Z0, K1, (DI)(AX*1)
	CMPQ     DX, $64
	JBE      all
	ADDQ     $64, AX
	JMP      loop

all:
	MOVQ CX, AX
	JMP  done

unsafe:
	SAFEPREFIX
	VMOVDQU8 Z0, K1, (DI)(AX*1)
	ADDQ   BX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+40(FP)
	RET

// Nibble tables of jsonSafeCopyShortAVX512: a byte is unsafe when
// jsonNibHi[its high nibble] & jsonNibLo[its low nibble] is not zero. Bit
// 7 marks the high nibbles of control bytes and bytes 0x80 and above, and
// is set for every low nibble; bits 0-2 pick " & (0x2_), < > (0x3_) and
// backslash (0x5_) by their low nibbles 2 6, c e and c.
DATA jsonNibHi<>+0(SB)/8, $0x0000040002018080
DATA jsonNibHi<>+8(SB)/8, $0x8080808080808080
GLOBL jsonNibHi<>(SB), RODATA|NOPTR, $16
DATA jsonNibLo<>+0(SB)/8, $0x8081808080818080
DATA jsonNibLo<>+8(SB)/8, $0x8082808680808080
GLOBL jsonNibLo<>(SB), RODATA|NOPTR, $16
DATA jsonNib0f<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA jsonNib0f<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL jsonNib0f<>(SB), RODATA|NOPTR, $16

// func jsonSafeCopyShortAVX512(dst []byte, s string) int
//
// jsonSafeCopyAVX512 for len(s) <= 16: one masked 16-byte load, the bytes
// classified by two nibble-table lookups, one masked store. Only 128-bit
// registers, so no VZEROUPPER. Needs AVX-512 BW and VL, and BMI1/2.
TEXT ·jsonSafeCopyShortAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ s_base+24(FP), SI
	MOVQ s_len+32(FP), CX
	MOVQ $-1, BX
	BZHIQ CX, BX, BX
	KMOVQ BX, K1

	VMOVDQU8.Z (SI), K1, X0
	VMOVDQU    jsonNib0f<>(SB), X4
	VPSRLW     $4, X0, X1
	VPAND      X4, X1, X1 // high nibbles
	VPAND      X4, X0, X2 // low nibbles
	VMOVDQU    jsonNibHi<>(SB), X5
	VPSHUFB    X1, X5, X1
	VMOVDQU    jsonNibLo<>(SB), X6
	VPSHUFB    X2, X6, X2
	VPTESTMB   X2, X1, K1, K2 // the unsafe bytes of s
	KORTESTQ   K2, K2
	JNZ        unsafe

	VMOVDQU8 X0, K1, (DI)
	MOVQ     CX, ret+40(FP)
	RET

unsafe:
	SAFEPREFIX
	VMOVDQU8 X0, K1, (DI)
	MOVQ     BX, ret+40(FP)
	RET
