package remote

import (
	"encoding/binary"
	"os"
	"sync"
)

// parts records the bytes done of each byte range of a download in a
// small file (one uint64 per part), so an interrupted pull resumes every
// range. A record may lag the data (never lead it: it is written after the
// data), and the final digest check catches anything else.
type parts struct {
	mu        sync.Mutex
	f         *os.File
	size, ps  int64
	done      []int64
	sinceSave int64
}

func openParts(root *os.Root, name string, size, ps int64) (*parts, error) {
	n := int((size + ps - 1) / ps)
	p := &parts{size: size, ps: ps, done: make([]int64, n)}
	if b, err := root.ReadFile(name); err == nil && len(b) == 8*n {
		for i := range p.done {
			_, end := p.bounds(i)
			off, _ := p.bounds(i)
			p.done[i] = min(int64(binary.LittleEndian.Uint64(b[8*i:])), end-off)
		}
	}
	f, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	p.f = f
	return p, nil
}

func (p *parts) bounds(i int) (int64, int64) {
	off := int64(i) * p.ps
	return off, min(off+p.ps, p.size)
}

func (p *parts) get(i int) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done[i]
}

func (p *parts) add(i int, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[i] += n
	p.sinceSave += n
	if p.sinceSave >= 8<<20 {
		p.saveLocked()
	}
}

func (p *parts) saveLocked() {
	p.sinceSave = 0
	b := make([]byte, 8*len(p.done))
	for i, d := range p.done {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(d))
	}
	_, _ = p.f.WriteAt(b, 0)
}

func (p *parts) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f != nil {
		p.saveLocked()
		p.f.Close()
		p.f = nil
	}
}
