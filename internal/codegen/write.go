package codegen

import (
	"fmt"
	"os"
	"path/filepath"
)

type outFile struct {
	Path string
	Data []byte
}

// writeAll writes each file atomically: a temporary file in the same
// directory, then a rename over the target.
func writeAll(files []outFile) error {
	for _, f := range files {
		if err := writeAtomic(f.Path, f.Data); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("crdtgen: write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".crdtgen-*")
	if err != nil {
		return fmt.Errorf("crdtgen: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("crdtgen: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("crdtgen: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("crdtgen: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("crdtgen: write %s: %w", path, err)
	}
	return nil
}
