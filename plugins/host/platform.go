package host

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"os"
)

// errUnknownFormat is wrapped when a file is no ELF, Mach-O or PE binary.
var errUnknownFormat = errors.New("not an ELF, Mach-O or PE executable")

// BinaryPlatform reads the executable header of the file at path and
// returns the platform it runs on, "OS/ARCH" as Go names them, so that a
// pushed plugin is labelled with its own platform, not the pusher's.
func BinaryPlatform(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("platform of %s: %w", path, err)
	}
	defer f.Close()
	if e, err := elf.NewFile(f); err == nil {
		return elfPlatform(path, e)
	}
	if m, err := macho.NewFile(f); err == nil {
		return machoPlatform(path, m.Cpu)
	}
	if _, err := macho.NewFatFile(f); err == nil {
		return "", fmt.Errorf("platform of %s: a universal Mach-O binary holds several platforms; push one binary per platform", path)
	}
	if p, err := pe.NewFile(f); err == nil {
		return pePlatform(path, p.Machine)
	}
	return "", fmt.Errorf("platform of %s: %w", path, errUnknownFormat)
}

func elfPlatform(path string, e *elf.File) (string, error) {
	goos := "linux"
	switch e.OSABI {
	case elf.ELFOSABI_FREEBSD:
		goos = "freebsd"
	case elf.ELFOSABI_NETBSD:
		goos = "netbsd"
	case elf.ELFOSABI_OPENBSD:
		goos = "openbsd"
	}
	arch := map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386",
		elf.EM_ARM: "arm", elf.EM_RISCV: "riscv64", elf.EM_PPC64: "ppc64le", elf.EM_S390: "s390x", elf.EM_LOONGARCH: "loong64"}[e.Machine]
	if arch == "" {
		return "", fmt.Errorf("platform of %s: ELF machine %s is not one ckpt knows", path, e.Machine)
	}
	if arch == "ppc64le" && e.ByteOrder.String() == "BigEndian" {
		arch = "ppc64"
	}
	return goos + "/" + arch, nil
}

func machoPlatform(path string, cpu macho.Cpu) (string, error) {
	switch cpu {
	case macho.CpuAmd64:
		return "darwin/amd64", nil
	case macho.CpuArm64:
		return "darwin/arm64", nil
	}
	return "", fmt.Errorf("platform of %s: Mach-O CPU %s is not one ckpt knows", path, cpu)
}

func pePlatform(path string, m uint16) (string, error) {
	switch m {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "windows/amd64", nil
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "windows/arm64", nil
	case pe.IMAGE_FILE_MACHINE_I386:
		return "windows/386", nil
	}
	return "", fmt.Errorf("platform of %s: PE machine %#x is not one ckpt knows", path, m)
}
