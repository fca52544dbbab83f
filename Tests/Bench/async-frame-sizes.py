# Prints the async frame size of every async function whose demangled name contains one of
# the given strings, read from the binary's async function pointers (relative offset, frame size).
# Usage: python3 Tests/Bench/async-frame-sizes.py BINARY NAME...
import subprocess, sys, struct
binary = sys.argv[1]
pattern = sys.argv[2:] 
out = subprocess.run(['nm', '--defined-only', binary], capture_output=True, text=True).stdout
syms = {}
for line in out.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[2].endswith('Tu'):
        syms[parts[2]] = int(parts[0], 16)
# map vaddr -> file offset via sections
sec = subprocess.run(['objdump', '-h', binary], capture_output=True, text=True).stdout
sections = []
for l in sec.splitlines():
    p = l.split()
    if len(p) >= 6 and p[0].isdigit():
        size, vma, lma, off = int(p[2],16), int(p[3],16), int(p[4],16), int(p[5],16)
        sections.append((vma, size, off))
data = open(binary,'rb').read()
def read(addr, n):
    for vma,size,off in sections:
        if vma <= addr < vma+size:
            o = off + addr - vma
            return data[o:o+n]
dem = subprocess.run(['swift','demangle','--simplified'], input='\n'.join(syms), capture_output=True, text=True).stdout.splitlines()
for (name, addr), d in zip(syms.items(), dem):
    if any(p in d for p in pattern):
        b = read(addr, 8)
        if b: 
            rel, size = struct.unpack('<iI', b)
            print(size, d[:150])
