// test_cxx.cpp - C++ operator new/delete and thread_local destructors on
// the overriding allocator (built only when g++ is present).
//
// Every form of new/delete (plain, array, sized, nothrow, aligned) must
// reach oxalloc; nothrow new returns nullptr on failure, also when the
// new_handler throws; a throwing new calls the installed new_handler
// (whose exception unwinds through the C override) and, without one,
// throws std::bad_alloc that the program catches; objects of the library (string,
// vector, map) and thread_local destructors that allocate are served.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <new>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

static int passed, failed;

static void check(bool ok, const char *what, int line)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    std::fprintf(stderr, "FAIL test_cxx.cpp:%d: %s\n", line, what);
}
#define CHECK(c) check((c), #c, __LINE__)

static bool served(const void *p)
{
    static auto owns = reinterpret_cast<bool (*)(const void *)>(dlsym(RTLD_DEFAULT, "ox_owns"));
    return owns != nullptr && p != nullptr && owns(p);
}

static bool aligned(const void *p, std::size_t a) { return (reinterpret_cast<std::uintptr_t>(p) & (a - 1)) == 0; }

struct alignas(256) Wide {
    unsigned char bytes[300];
};

static void test_forms()
{
    int *one = new int(7);
    int *many = new int[1000];
    CHECK(served(one) && served(many));
    delete one;      // sized delete (-fsized-deallocation is on by default)
    delete[] many;
    Wide *w = new Wide;
    Wide *ws = new Wide[5];
    CHECK(served(w) && served(ws) && aligned(w, 256) && aligned(ws, 256));
    delete w;
    delete[] ws;
    void *raw = ::operator new(100);
    void *raw_a = ::operator new(100, std::align_val_t(4096));
    void *raw_n = ::operator new[](100, std::nothrow);
    void *raw_an = ::operator new[](100, std::align_val_t(128), std::nothrow);
    CHECK(served(raw) && served(raw_a) && served(raw_n) && served(raw_an));
    CHECK(aligned(raw_a, 4096) && aligned(raw_an, 128));
    ::operator delete(raw, 100);
    ::operator delete(raw_a, 100, std::align_val_t(4096));
    ::operator delete[](raw_n, std::nothrow);
    ::operator delete[](raw_an, std::align_val_t(128), std::nothrow);
    void *zero = ::operator new(0);
    void *zero2 = ::operator new(0);
    CHECK(zero && zero2 && zero != zero2);
    ::operator delete(zero);
    ::operator delete(zero2);
}

static void test_library_objects()
{
    std::string s(1000, 'x');
    std::vector<long> v(5000, 3);
    std::map<int, std::string> m;
    for (int i = 0; i < 100; i++)
        m[i] = std::string(50 + i, 'm');
    CHECK(served(s.data()) && served(v.data()));
    CHECK(m.size() == 100 && served(m[42].data()));
}

static volatile std::size_t huge = SIZE_MAX / 2;

static void test_nothrow_failure()
{
    void *p = ::operator new(huge, std::nothrow);
    void *q = ::operator new[](huge, std::align_val_t(64), std::nothrow);
    CHECK(p == nullptr && q == nullptr);
}

static int handler_calls;
static void throwing_handler()
{
    if (++handler_calls == 3)
        throw std::bad_alloc();
}

static void test_new_handler()
{
    std::set_new_handler(throwing_handler);
    bool caught = false;
    try {
        void *p = ::operator new(huge);
        ::operator delete(p);
    } catch (const std::bad_alloc &) {
        caught = true;
    }
    std::set_new_handler(nullptr);
    CHECK(caught && handler_calls == 3);
}

// A handler that releases a reserve and returns makes new retry and
// succeed.  Real exhaustion: the address space is capped in a child.
static void *reserve;
static void releasing_handler()
{
    std::free(reserve);
    reserve = nullptr;
    std::set_new_handler(nullptr);
}

static long vm_bytes()
{
    long pages = 0;
    FILE *f = std::fopen("/proc/self/statm", "r");
    if (f) {
        if (std::fscanf(f, "%ld", &pages) != 1)
            pages = 0;
        std::fclose(f);
    }
    return pages * sysconf(_SC_PAGESIZE);
}

static void test_handler_releases_and_retries()
{
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        const std::size_t big = std::size_t(400) << 20;
        reserve = std::malloc(big);
        rlim_t cap = rlim_t(vm_bytes()) + (rlim_t(200) << 20);
        struct rlimit lim = {cap, cap};
        if (!reserve || setrlimit(RLIMIT_AS, &lim) != 0)
            _exit(2);
        std::set_new_handler(releasing_handler);
        char *p = static_cast<char *>(::operator new(big)); // fails once, then fits
        p[0] = p[big - 1] = 1;
        _exit(reserve == nullptr && served(p) ? 0 : 3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// Run fn in a child (a wrong abort is then one failure, not the end of
// the run); passes when the child exits 0.
static bool in_child(void (*fn)())
{
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// catch (std::bad_alloc) around one throwing form; exit 1 when not caught.
template <class F> static void expect_bad_alloc(F alloc, const char *what)
{
    bool caught = false;
    try {
        void *p = alloc();
        std::printf("%s returned %p\n", what, p);
    } catch (const std::bad_alloc &) {
        caught = true;
    }
    if (!caught) {
        std::fprintf(stderr, "FAIL (child): %s did not throw std::bad_alloc\n", what);
        _exit(1);
    }
}

// Without a handler every throwing form throws std::bad_alloc, which the
// program catches and goes on (the C++ standard; glibc's, jemalloc's and
// tcmalloc's operator new do it).
static void no_handler_child()
{
    std::set_new_handler(nullptr);
    expect_bad_alloc([] { return ::operator new(huge); }, "new(size)");
    expect_bad_alloc([] { return ::operator new[](huge); }, "new[](size)");
    expect_bad_alloc([] { return ::operator new(huge, std::align_val_t(64)); }, "new(size, align)");
    expect_bad_alloc([] { return ::operator new[](huge, std::align_val_t(4096)); }, "new[](size, align)");
    expect_bad_alloc([]() -> void * { return new char[huge]; }, "new char[huge]");
    expect_bad_alloc([]() -> void * { return new Wide[huge / 1024]; }, "new Wide[huge]");
    // still working afterwards
    int *ok = new int(5);
    if (!served(ok) || *ok != 5)
        _exit(2);
    delete ok;
}

static void test_no_handler_throws() { CHECK(in_child(no_handler_child)); }

// A handler that gives up (uninstalls itself and returns) is called once,
// then new throws std::bad_alloc.
static int giving_up_calls;
static void giving_up_handler()
{
    giving_up_calls++;
    std::set_new_handler(nullptr);
}

static void handler_then_throw_child()
{
    std::set_new_handler(giving_up_handler);
    expect_bad_alloc([] { return ::operator new(huge, std::align_val_t(128)); }, "new(size, align)");
    if (giving_up_calls != 1)
        _exit(3);
}

static void test_handler_then_throws() { CHECK(in_child(handler_then_throw_child)); }

// The nothrow forms return nullptr, also when the handler throws
// bad_alloc (they are noexcept: the exception must not escape them); the
// handler was called first.
static int throwing_calls;
static void always_throwing_handler()
{
    throwing_calls++;
    throw std::bad_alloc();
}

static void nothrow_handler_child()
{
    std::set_new_handler(always_throwing_handler);
    void *p = nullptr, *q = nullptr, *r = nullptr, *s = nullptr;
    try {
        p = ::operator new(huge, std::nothrow);
        q = ::operator new[](huge, std::nothrow);
        r = ::operator new(huge, std::align_val_t(64), std::nothrow);
        s = ::operator new[](huge, std::align_val_t(64), std::nothrow);
    } catch (...) {
        std::fprintf(stderr, "FAIL (child): an exception escaped nothrow new\n");
        _exit(1);
    }
    if (p || q || r || s)
        _exit(2);
    if (throwing_calls != 4) {
        std::fprintf(stderr, "FAIL (child): handler called %d times, not 4\n", throwing_calls);
        _exit(3);
    }
}

static void test_nothrow_with_throwing_handler() { CHECK(in_child(nothrow_handler_child)); }

// thread_local objects whose destructors allocate, run at thread exit.
static std::atomic<void *> from_tls_dtor[2];

struct TlsObject {
    std::vector<int> data = std::vector<int>(1000, 1);
    int slot = 0;
    ~TlsObject()
    {
        std::string *s = new std::string(200, 'd'); // allocates while the thread dies
        from_tls_dtor[slot].store(s);
    }
};
static thread_local TlsObject tls_object;

static void test_thread_local_dtor()
{
    for (int i = 0; i < 2; i++) {
        std::thread t([i] {
            tls_object.slot = i;
            tls_object.data.push_back(i);
        });
        t.join();
    }
    for (auto &slot : from_tls_dtor) {
        auto *s = static_cast<std::string *>(slot.load());
        CHECK(s != nullptr && served(s) && served(s->data()) && s->size() == 200);
        delete s;
    }
}

int main()
{
    CHECK(dlsym(RTLD_DEFAULT, "ox_owns") != nullptr);
    test_forms();
    test_library_objects();
    test_nothrow_failure();
    test_new_handler();
    test_handler_releases_and_retries();
    test_no_handler_throws();
    test_handler_then_throws();
    test_nothrow_with_throwing_handler();
    test_thread_local_dtor();
    std::printf("cxx: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
