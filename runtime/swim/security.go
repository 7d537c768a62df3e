package swim

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// Every packet and stream message starts with a header byte:
//
//	0x00 compound                                 plain, no label
//	0x02 label-length label compound              plain, labelled
//	0x01 nonce(12) AES-GCM(compound, aad=label)   encrypted with the primary key
//
// A node with a keyring accepts only encrypted input; one without accepts
// only plain input. Either way the label must match: encrypted, it is bound
// as additional authenticated data, so a mislabelled packet fails to
// authenticate exactly like one sealed with an unknown key.
const (
	hdrPlain     = 0x00
	hdrEncrypted = 0x01
	hdrLabelled  = 0x02
	nonceSize    = 12
	gcmTagSize   = 16
)

var (
	errAuth     = errors.New("swim: packet does not authenticate with any installed key")
	errLabel    = errors.New("swim: packet has another cluster label")
	errPlain    = errors.New("swim: unencrypted packet while encryption is on")
	errNotPlain = errors.New("swim: encrypted packet while encryption is off")
)

// overhead is the number of bytes seal adds.
func overhead(kr *Keyring, label string) int {
	switch {
	case kr != nil:
		return 1 + nonceSize + gcmTagSize
	case label == "":
		return 1
	}
	return 2 + len(label)
}

// seal wraps a compound for the wire.
func seal(kr *Keyring, label string, compound []byte) ([]byte, error) {
	if kr == nil {
		out := make([]byte, 0, overhead(nil, label)+len(compound))
		if label == "" {
			out = append(out, hdrPlain)
		} else {
			out = append(out, hdrLabelled, byte(len(label)))
			out = append(out, label...)
		}
		return append(out, compound...), nil
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(compound)+gcmTagSize)
	out[0] = hdrEncrypted
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("swim: nonce: %w", err)
	}
	return kr.primary().Seal(out, out[1:1+nonceSize], compound, []byte(label)), nil
}

// unseal checks and strips the security layer.
func unseal(kr *Keyring, label string, p []byte) ([]byte, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	switch p[0] {
	case hdrPlain:
		if kr != nil {
			return nil, errPlain
		}
		if label != "" {
			return nil, errLabel
		}
		return p[1:], nil
	case hdrLabelled:
		if kr != nil {
			return nil, errPlain
		}
		if len(p) < 2 || len(p) < 2+int(p[1]) {
			return nil, fmt.Errorf("%w: label header of %d bytes truncated", ErrMalformed, len(p))
		}
		if string(p[2:2+int(p[1])]) != label {
			return nil, errLabel
		}
		return p[2+int(p[1]):], nil
	case hdrEncrypted:
		if kr == nil {
			return nil, errNotPlain
		}
		if len(p) < 1+nonceSize+gcmTagSize {
			return nil, fmt.Errorf("%w: encrypted packet of %d bytes truncated", ErrMalformed, len(p))
		}
		return kr.open(nil, p[1:1+nonceSize], p[1+nonceSize:], []byte(label))
	}
	return nil, fmt.Errorf("%w: unknown header byte %#x", ErrMalformed, p[0])
}
