package recfile

import (
	"os"
	"syscall"
)

// SyncData makes the file's data and the metadata needed to read it back
// (its size) durable: fdatasync, which skips the timestamp updates that
// make fsync of an appended file commit a journal transaction.
func SyncData(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
