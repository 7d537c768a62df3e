// Package consts is a test schema of constants whose values and kinds the
// generated declarations must keep exactly.
package consts

// Mode is an enum.
type Mode int8

// Constants of every kind, typed and untyped.
const (
	Half                = 0.5
	Two                 = 2.0
	Third               = 1.0 / 3
	Neg                 = -1.25e-9
	Big                 = 1e300
	Huge                = 1e5000
	Tiny                = 1e-5000
	Million             = 1e6
	Letter              = 'a'
	Accent              = 'é'
	Surr                = '\x00' + 0xd800
	Cplx                = 1.5 + 2i
	Yes                 = true
	Text                = "a\"b\n"
	Count               = 1 << 70
	Tenth    float64    = 0.1
	TenthF   float32    = 0.1
	Whole    float64    = 3
	Precise  float64    = 1.0 / 3
	C128     complex128 = 0.1 + 0.2i
	Byte     byte       = 'x'
	Level    Mode       = -3
	Flag     bool       = false
	Label    string     = "x"
	BigUint  uint64     = 1<<64 - 1
	MinInt64 int64      = -1 << 63
)
