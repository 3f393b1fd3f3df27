/*
 * aes: AES-128 (FIPS 197, byte-oriented implementation with S-boxes computed at start-up) in
 * CBC mode over a 4 KB buffer, repeatedly; the FIPS 197 appendix C.1 vector is checked and a
 * final decryption must give the plaintext back.
 */
#include "suite.h"

const char bench_name[] = "aes";

static uint8_t sbox[256], inv_sbox[256];

static uint8_t xtime(uint8_t x) { return (uint8_t)((x << 1) ^ ((x >> 7) * 0x1b)); }

static uint8_t gmul(uint8_t a, uint8_t b)
{
    uint8_t p = 0;
    while (b) {
        if (b & 1)
            p ^= a;
        a = xtime(a);
        b >>= 1;
    }
    return p;
}

static void make_sboxes(void)
{
    for (unsigned i = 0; i < 256; i++) {
        /* multiplicative inverse by exhaustive search (0 maps to 0) */
        uint8_t inv = 0;
        for (unsigned j = 1; j < 256 && i; j++)
            if (gmul((uint8_t)i, (uint8_t)j) == 1) {
                inv = (uint8_t)j;
                break;
            }
        uint8_t s = inv, x = inv;
        for (int k = 0; k < 4; k++) {
            x = (uint8_t)((x << 1) | (x >> 7));
            s ^= x;
        }
        s ^= 0x63;
        sbox[i] = s;
        inv_sbox[s] = (uint8_t)i;
    }
}

static void expand_key(const uint8_t key[16], uint8_t rk[176])
{
    memcpy(rk, key, 16);
    uint8_t rcon = 1;
    for (unsigned i = 16; i < 176; i += 4) {
        uint8_t t[4] = {rk[i - 4], rk[i - 3], rk[i - 2], rk[i - 1]};
        if (i % 16 == 0) {
            uint8_t u = t[0];
            t[0] = sbox[t[1]] ^ rcon;
            t[1] = sbox[t[2]];
            t[2] = sbox[t[3]];
            t[3] = sbox[u];
            rcon = xtime(rcon);
        }
        for (int k = 0; k < 4; k++)
            rk[i + k] = rk[i - 16 + k] ^ t[k];
    }
}

static void encrypt_block(const uint8_t rk[176], uint8_t s[16])
{
    for (int i = 0; i < 16; i++)
        s[i] ^= rk[i];
    for (int round = 1; round <= 10; round++) {
        uint8_t t[16];
        /* SubBytes and ShiftRows (state is column-major: s[4*col + row]) */
        for (int c = 0; c < 4; c++)
            for (int r = 0; r < 4; r++)
                t[4 * c + r] = sbox[s[4 * ((c + r) & 3) + r]];
        if (round < 10) {
            for (int c = 0; c < 4; c++) {
                uint8_t a0 = t[4 * c], a1 = t[4 * c + 1], a2 = t[4 * c + 2], a3 = t[4 * c + 3];
                uint8_t all = a0 ^ a1 ^ a2 ^ a3;
                t[4 * c] = a0 ^ all ^ xtime(a0 ^ a1);
                t[4 * c + 1] = a1 ^ all ^ xtime(a1 ^ a2);
                t[4 * c + 2] = a2 ^ all ^ xtime(a2 ^ a3);
                t[4 * c + 3] = a3 ^ all ^ xtime(a3 ^ a0);
            }
        }
        for (int i = 0; i < 16; i++)
            s[i] = t[i] ^ rk[16 * round + i];
    }
}

static void decrypt_block(const uint8_t rk[176], uint8_t s[16])
{
    for (int i = 0; i < 16; i++)
        s[i] ^= rk[160 + i];
    for (int round = 9; round >= 0; round--) {
        uint8_t t[16];
        for (int c = 0; c < 4; c++)
            for (int r = 0; r < 4; r++)
                t[4 * ((c + r) & 3) + r] = inv_sbox[s[4 * c + r]];
        for (int i = 0; i < 16; i++)
            t[i] ^= rk[16 * round + i];
        if (round > 0) {
            for (int c = 0; c < 4; c++) {
                uint8_t a0 = t[4 * c], a1 = t[4 * c + 1], a2 = t[4 * c + 2], a3 = t[4 * c + 3];
                t[4 * c] = gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9);
                t[4 * c + 1] = gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13);
                t[4 * c + 2] = gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11);
                t[4 * c + 3] = gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14);
            }
        }
        memcpy(s, t, 16);
    }
}

#define BUF_BYTES 4096
static uint8_t plain[BUF_BYTES], data[BUF_BYTES];

static void cbc_encrypt(const uint8_t rk[176], uint8_t iv[16], uint8_t *p, size_t n)
{
    for (size_t off = 0; off < n; off += 16) {
        for (int i = 0; i < 16; i++)
            p[off + i] ^= iv[i];
        encrypt_block(rk, p + off);
        memcpy(iv, p + off, 16);
    }
}

static void cbc_decrypt(const uint8_t rk[176], uint8_t iv[16], uint8_t *p, size_t n)
{
    for (size_t off = 0; off < n; off += 16) {
        uint8_t c[16];
        memcpy(c, p + off, 16);
        decrypt_block(rk, p + off);
        for (int i = 0; i < 16; i++)
            p[off + i] ^= iv[i];
        memcpy(iv, c, 16);
    }
}

#define PASSES_PER_SCALE 24

void bench_run(uint64_t scale)
{
    make_sboxes();
    uint8_t key[16], rk[176], block[16], iv[16];
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
        block[i] = (uint8_t)(i * 0x11);
    }
    expand_key(key, rk);
    encrypt_block(rk, block);
    printf("aes: FIPS-197 C.1 ");
    for (int i = 0; i < 16; i++)
        print_hex(block[i], 2);
    printf("\n");

    uint64_t seed = 0xfeedfacecafebeefULL;
    for (int i = 0; i < BUF_BYTES; i++)
        plain[i] = (uint8_t)bench_next_rand(&seed);
    memcpy(data, plain, BUF_BYTES);
    memset(iv, 0xa5, 16);
    /* encrypt the buffer scale times in a row, then decrypt it as many times */
    for (uint64_t s = 0; s < scale * PASSES_PER_SCALE; s++) {
        memset(iv, (int)(s & 0xff), 16);
        cbc_encrypt(rk, iv, data, BUF_BYTES);
    }
    uint32_t crc = suite_crc(0, data, BUF_BYTES);
    /* one round trip of the plaintext */
    memcpy(data, plain, BUF_BYTES);
    memset(iv, 0x5a, 16);
    cbc_encrypt(rk, iv, data, BUF_BYTES);
    memset(iv, 0x5a, 16);
    cbc_decrypt(rk, iv, data, BUF_BYTES);
    printf("aes: round trip %s\n", memcmp(data, plain, BUF_BYTES) == 0 ? "ok" : "FAILED");
    printf("aes: %lu x %u bytes encrypted, ciphertext crc %08x\n", scale * PASSES_PER_SCALE, BUF_BYTES, crc);
    suite_report(scale, crc);
}
