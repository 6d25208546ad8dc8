package remote

import (
	"encoding/binary"
	"hash"
	"os"
	"sync"
)

// parts records the bytes done of each byte range of a download in a
// small file (one uint64 per part), so an interrupted pull resumes every
// range. A record may lag the data (never lead it: it is written after the
// data), and the final digest check catches anything else.
type parts struct {
	mu        sync.Mutex
	cond      *sync.Cond
	aborted   bool
	f         *os.File
	size, ps  int64
	done      []int64
	sinceSave int64
}

func openParts(root *os.Root, name string, size, ps int64) (*parts, error) {
	n := int((size + ps - 1) / ps)
	p := &parts{size: size, ps: ps, done: make([]int64, n)}
	p.cond = sync.NewCond(&p.mu)
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
	p.cond.Broadcast()
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

// watermarkLocked is the length of the downloaded prefix.
func (p *parts) watermarkLocked() int64 {
	var w int64
	for i, d := range p.done {
		off, end := p.bounds(i)
		w = off + d
		if off+d < end {
			break
		}
	}
	return w
}

// abort wakes hashBehind for good.
func (p *parts) abort() {
	p.mu.Lock()
	p.aborted = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

// hashBehind hashes f as its downloaded prefix grows (reading back from
// the page cache while later ranges still arrive) and returns the sum, or
// nil when aborted.
func (p *parts) hashBehind(f *os.File, h hash.Hash) []byte {
	buf := make([]byte, 1<<20)
	for pos := int64(0); pos < p.size; {
		p.mu.Lock()
		for !p.aborted && p.watermarkLocked() <= pos {
			p.cond.Wait()
		}
		w, aborted := p.watermarkLocked(), p.aborted
		p.mu.Unlock()
		if aborted {
			return nil
		}
		for pos < w {
			n, err := f.ReadAt(buf[:min(int64(len(buf)), w-pos)], pos)
			if err != nil && n == 0 {
				return nil
			}
			h.Write(buf[:n])
			pos += int64(n)
		}
	}
	return h.Sum(nil)
}
