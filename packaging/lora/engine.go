package lora

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
	"github.com/ckpt-dev/ckpt/packaging/tree"
)

// DefaultShardSize is transformers' default max_shard_size (5GB).
const DefaultShardSize = 5_000_000_000

// AdapterInput is one adapter of a merge.
type AdapterInput struct {
	Dir    string
	Format peft.Format
	// Basis is the q/k basis of the adapter (empty: its format's default).
	Basis mistral.Basis
	// Weight multiplies the adapter's update (0 means 1).
	Weight float64
}

// Options describe a merge; zero values are defaults.
type Options struct {
	Base     string
	Adapters []AdapterInput
	// Out is an existing empty folder.
	Out string
	// DType is bf16, fp16 or fp32; empty keeps each tensor's dtype.
	DType string
	// ShardSize caps HF shards' data bytes (0: DefaultShardSize).
	ShardSize int64
	// Workers bounds the tensors processed at once (0: GOMAXPROCS).
	Workers int
	// Progress is called after each tensor with done and total tensors.
	Progress func(done, total int64, tensor string)
}

// contribution is one adapter's update to one base tensor.
type contribution struct {
	target peft.Target
	file   *safetensors.File
	coef   float64 // weight · scale
}

// outTensor is one tensor of the output and where its bytes come from.
type outTensor struct {
	name  string
	src   *safetensors.File
	info  safetensors.TensorInfo
	dtype safetensors.DType
	file  *safetensors.FileWriter
	adds  []contribution
}

// Merge writes base + Σ wᵢ·sᵢ·Bᵢ·Aᵢ into o.Out in the base's layout and
// copies the base's other files (tokenizer, configs) unchanged. On error
// nothing is left in o.Out but what was there before.
func Merge(ctx context.Context, o Options) (err error) {
	m, err := prepare(o)
	if err != nil {
		return err
	}
	defer m.close()
	defer func() {
		if err != nil {
			m.abort()
		}
	}()
	if err := m.plan(); err != nil {
		return err
	}
	if err := m.run(ctx); err != nil {
		return err
	}
	return m.finish()
}

type merger struct {
	o        Options
	base     *peft.Base
	srcs     map[string]*safetensors.File
	adapters []*safetensors.File
	adds     map[string][]contribution
	outDType safetensors.DType
	tensors  []*outTensor
	writers  []*safetensors.FileWriter
	created  []string
}

func prepare(o Options) (*merger, error) {
	if len(o.Adapters) == 0 {
		return nil, errors.New("merge: no adapters")
	}
	base, err := peft.LoadBase(o.Base)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	m := &merger{o: o, base: base, srcs: map[string]*safetensors.File{}, adds: map[string][]contribution{}}
	if o.DType != "" {
		if m.outDType, err = safetensors.ParseShortName(o.DType); err != nil {
			return nil, err
		}
	}
	for _, w := range base.Layout.Weights {
		f, err := safetensors.Open(w)
		if err != nil {
			m.close()
			return nil, err
		}
		m.srcs[w] = f
	}
	for i, a := range o.Adapters {
		if err := m.addAdapter(a); err != nil {
			m.close()
			return nil, fmt.Errorf("adapter %d (%s): %w", i, a.Dir, err)
		}
	}
	return m, nil
}

func (m *merger) addAdapter(a AdapterInput) error {
	ad, err := peft.Read(a.Dir, a.Format)
	if err != nil {
		return err
	}
	targets, err := ad.Resolve(m.base, a.Basis)
	if err != nil {
		return err
	}
	f, err := safetensors.Open(ad.File)
	if err != nil {
		return err
	}
	m.adapters = append(m.adapters, f)
	w := a.Weight
	if w == 0 {
		w = 1
	}
	for _, t := range targets {
		bt := m.base.Tensors[t.BaseTensor]
		if !isFloat(bt.DType) || !isFloat(t.A.DType) || !isFloat(t.B.DType) {
			return fmt.Errorf("tensor %q: only bf16, fp16 and fp32 tensors can be merged (base %s, lora %s)", t.BaseTensor, bt.DType, t.A.DType)
		}
		m.adds[t.BaseTensor] = append(m.adds[t.BaseTensor], contribution{target: t, file: f, coef: w * t.Scale})
	}
	return nil
}

func isFloat(d safetensors.DType) bool {
	return d == safetensors.BF16 || d == safetensors.F16 || d == safetensors.F32
}

func (m *merger) close() {
	for _, f := range m.srcs {
		f.Close()
	}
	for _, f := range m.adapters {
		f.Close()
	}
}

func (m *merger) abort() {
	for _, w := range m.writers {
		w.Abort()
	}
	for _, p := range m.created {
		os.Remove(p)
	}
}

// plan decides the output files and creates them (headers written).
func (m *merger) plan() error {
	names := append([]string(nil), m.base.Names...)
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	byName := map[string]*outTensor{}
	var specs []safetensors.Spec
	for _, n := range names {
		info := m.base.Tensors[n]
		t := &outTensor{name: n, src: m.srcs[m.base.Files[n]], info: info, dtype: info.DType, adds: m.adds[n]}
		if m.outDType != "" && isFloat(info.DType) {
			t.dtype = m.outDType
		}
		byName[n] = t
		m.tensors = append(m.tensors, t)
		specs = append(specs, safetensors.Spec{Name: n, DType: t.dtype, Shape: info.Shape})
	}
	if m.base.Layout.Format == mistral.FormatNative {
		return m.create("consolidated.safetensors", specs, byName, safetensors.WriteOptions{NoMetadata: true})
	}
	return m.createHF(specs, byName)
}

func (m *merger) createHF(specs []safetensors.Spec, byName map[string]*outTensor) error {
	size := m.o.ShardSize
	if size <= 0 {
		size = DefaultShardSize
	}
	shards := safetensors.Shard(specs, size)
	if len(shards) == 1 {
		return m.create("model.safetensors", specs, byName, safetensors.WriteOptions{})
	}
	idx := &safetensors.Index{WeightMap: map[string]string{}}
	for i, sh := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		if err := m.create(name, sh, byName, safetensors.WriteOptions{}); err != nil {
			return err
		}
		for _, s := range sh {
			idx.WeightMap[s.Name] = name
			idx.Metadata.TotalSize += safetensors.SpecBytes(s)
		}
	}
	p := filepath.Join(m.o.Out, "model.safetensors.index.json")
	m.created = append(m.created, p)
	return safetensors.WriteIndex(p, idx)
}

func (m *merger) create(name string, specs []safetensors.Spec, byName map[string]*outTensor, wo safetensors.WriteOptions) error {
	w, err := safetensors.Create(filepath.Join(m.o.Out, name), specs, wo)
	if err != nil {
		return err
	}
	m.writers = append(m.writers, w)
	for _, s := range specs {
		byName[s.Name].file = w
	}
	return nil
}

// run processes tensors with at most Workers at once, each worker with its
// own scratch buffers; the first error cancels the rest.
func (m *merger) run(ctx context.Context) error {
	workers := m.o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	free := make(chan *scratch, workers)
	for range workers {
		free <- &scratch{}
	}
	var (
		mu   sync.Mutex
		done int64
	)
	for _, t := range m.tensors {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			s := <-free
			defer func() { free <- s }()
			if err := processTensor(gctx, t, s); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			done++
			if m.o.Progress != nil {
				m.o.Progress(done, int64(len(m.tensors)), t.name)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// finish commits the weight files and copies the base's other files.
func (m *merger) finish() error {
	for _, w := range m.writers {
		if err := w.Commit(); err != nil {
			return err
		}
		m.created = append(m.created, w.Path())
	}
	m.writers = nil
	ents, err := os.ReadDir(m.base.Dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		src := filepath.Join(m.base.Dir, e.Name())
		if !isFile(src, e) || mistral.IsWeightFile(e.Name()) {
			continue
		}
		dst := filepath.Join(m.o.Out, e.Name())
		m.created = append(m.created, dst)
		if src == m.base.Layout.Config && m.base.Layout.Format == mistral.FormatHF && m.outDType != "" && m.outDType != m.base.DType() {
			if err := rewriteTorchDType(src, dst, m.outDType); err != nil {
				return err
			}
			continue
		}
		if err := tree.CopyFile(src, dst); err != nil {
			return err
		}
	}
	return nil
}

// isFile reports whether entry p is a regular file or a link to one (a
// base whose files refer to a user's).
func isFile(p string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.Type().IsRegular()
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// rewriteTorchDType copies config.json with torch_dtype (and dtype, if
// present) set to the merge's output dtype, as save_pretrained would.
func rewriteTorchDType(src, dst string, d safetensors.DType) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	name, _ := json.Marshal(map[safetensors.DType]string{safetensors.BF16: "bfloat16", safetensors.F16: "float16", safetensors.F32: "float32"}[d])
	m["torch_dtype"] = name
	if _, ok := m["dtype"]; ok {
		m["dtype"] = name
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(dst, append(out, '\n'), 0o644)
}

// naturalLess orders names with embedded numbers numerically
// (layers.2 before layers.10).
func naturalLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		x, ex := strconv.Atoi(as[i])
		y, ey := strconv.Atoi(bs[i])
		if ex == nil && ey == nil {
			return x < y
		}
		return as[i] < bs[i]
	}
	return len(as) < len(bs)
}
