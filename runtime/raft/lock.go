package raft

import (
	"sync"
	"sync/atomic"
)

// lockHook, when set, is called on every acquisition of a lock owned by this
// package (nodes, in-memory stores, in-memory network). Tests install it to
// prove that the heartbeat path acquires none. Every lock in this package is
// a mutex or rwmutex from this file; a test checks that no other file names
// sync.Mutex or sync.RWMutex.
var lockHook atomic.Pointer[func()]

// mutex is a sync.Mutex whose acquisitions can be counted by lockHook.
type mutex struct{ mu sync.Mutex }

func (m *mutex) Lock() {
	if h := lockHook.Load(); h != nil {
		(*h)()
	}
	m.mu.Lock()
}

func (m *mutex) Unlock() { m.mu.Unlock() }

// rwmutex is a sync.RWMutex whose acquisitions can be counted by lockHook.
type rwmutex struct{ mu sync.RWMutex }

func (m *rwmutex) Lock() {
	if h := lockHook.Load(); h != nil {
		(*h)()
	}
	m.mu.Lock()
}

func (m *rwmutex) Unlock() { m.mu.Unlock() }

func (m *rwmutex) RLock() {
	if h := lockHook.Load(); h != nil {
		(*h)()
	}
	m.mu.RLock()
}

func (m *rwmutex) RUnlock() { m.mu.RUnlock() }
