// Raw-file I/O shared by the host harnesses (check_harness.cpp, bench_harness.cpp); kiln writes it next to
// them. Buffers come from malloc, so running out of memory (on a small board under QEMU) is a message, not an
// abort from operator new without exceptions.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace {

struct Buffer {
    unsigned char* p = nullptr;
    std::size_t n = 0;
    Buffer() = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { std::free(p); }
    bool allocate(std::size_t bytes, unsigned char fill) {
        n = bytes;
        p = static_cast<unsigned char*>(std::malloc(bytes ? bytes : 1));
        if (p) for (std::size_t i = 0; i < bytes; ++i) p[i] = fill;
        return p != nullptr;
    }
};

bool read_file(const char* path, Buffer& buf) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    std::size_t got = buf.n == 0 ? 0 : std::fread(buf.p, 1, buf.n, f);
    bool at_end = std::fgetc(f) == EOF;
    std::fclose(f);
    return got == buf.n && at_end;
}

bool write_file(const char* path, const Buffer& buf) {
    std::FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    std::size_t put = buf.n == 0 ? 0 : std::fwrite(buf.p, 1, buf.n, f);
    return std::fclose(f) == 0 && put == buf.n;
}

}  // namespace
