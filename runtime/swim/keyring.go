package swim

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Keyring holds the AES keys a Node encrypts with (the primary) and
// decrypts with (all of them), so keys can be rotated without downtime:
// install the new key on every member, make it primary on every member,
// then remove the old one. Build it with NewKeyring: a Node needs a primary
// key. Safe for concurrent use.
type Keyring struct {
	mu    sync.RWMutex
	keys  [][]byte // keys[0] is the primary
	aeads []cipher.AEAD
}

// Keyring errors.
var (
	ErrKeySize       = errors.New("swim: key must be 16, 24 or 32 bytes")
	ErrNoSuchKey     = errors.New("swim: key not installed")
	ErrRemovePrimary = errors.New("swim: cannot remove the primary key")
)

// NewKeyring returns a keyring with primary as the primary key and keys
// installed for decryption.
func NewKeyring(primary []byte, keys ...[]byte) (*Keyring, error) {
	k := &Keyring{}
	if err := k.Install(primary); err != nil {
		return nil, err
	}
	for _, key := range keys {
		if err := k.Install(key); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Install adds key for decryption; the first key installed becomes primary.
func (k *Keyring) Install(key []byte) error {
	switch len(key) {
	case 16, 24, 32:
	default:
		return fmt.Errorf("%w: got %d", ErrKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("swim: install key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("swim: install key: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.find(key) >= 0 {
		return nil
	}
	k.keys = append(k.keys, slices.Clone(key))
	k.aeads = append(k.aeads, aead)
	return nil
}

// Use makes an installed key the primary one, used for encryption.
func (k *Keyring) Use(key []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := k.find(key)
	if i < 0 {
		return ErrNoSuchKey
	}
	k.keys[0], k.keys[i] = k.keys[i], k.keys[0]
	k.aeads[0], k.aeads[i] = k.aeads[i], k.aeads[0]
	return nil
}

// Remove uninstalls a key that is not the primary.
func (k *Keyring) Remove(key []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := k.find(key)
	switch {
	case i < 0:
		return ErrNoSuchKey
	case i == 0:
		return ErrRemovePrimary
	}
	k.keys = slices.Delete(k.keys, i, i+1)
	k.aeads = slices.Delete(k.aeads, i, i+1)
	return nil
}

// Keys returns copies of the installed keys, the primary first.
func (k *Keyring) Keys() [][]byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([][]byte, len(k.keys))
	for i, key := range k.keys {
		out[i] = slices.Clone(key)
	}
	return out
}

func (k *Keyring) empty() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.aeads) == 0
}

func (k *Keyring) find(key []byte) int {
	for i, have := range k.keys {
		if bytes.Equal(have, key) {
			return i
		}
	}
	return -1
}

func (k *Keyring) primary() cipher.AEAD {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.aeads[0]
}

// open tries every installed key.
func (k *Keyring) open(dst, nonce, sealed, aad []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, a := range k.aeads {
		if out, err := a.Open(dst, nonce, sealed, aad); err == nil {
			return out, nil
		}
	}
	return nil, errAuth
}
