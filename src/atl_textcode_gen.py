#!/usr/bin/env python3
"""Writes src/atl_textcode_table.h: the fixed Huffman code with which the
identity's storage format 3 writes profile text (src/atl_textcode.c).

Run once; the table it printed is part of the storage format: logins
sealed with it must stay readable, so it is never regenerated with other
input. The frequencies come from the sample text below (the kinds of
values /me returns: names, e-mail addresses, nicknames, job titles,
departments, organisations, places), every symbol counted once more so
that each has a code, and the code lengths are limited to 15 bits.

    python3 src/atl_textcode_gen.py > src/atl_textcode_table.h
"""

import heapq
import itertools

NAMES = """Mia Krystof, Oliver Smith, Amelia Jones, Noah Williams, Isla Brown, Jack Taylor,
Olivia Davies, Harry Evans, Emily Wilson, George Thomas, Ava Johnson, Charlie Roberts,
Sophie Walker, Jacob Wright, Grace Robinson, Thomas Thompson, Lily White, Oscar Hughes,
Chloe Edwards, William Green, Ella Hall, James Wood, Mohammed Khan, Priya Sharma,
Wei Zhang, Yuki Tanaka, Lucas Martin, Emma Bernard, Leon Schmidt, Anna Müller, Mateo Garcia,
Sofia Rodriguez, Liam O'Brien, Chen Li, Ahmed Hassan, Fatima Ali, Daniel Kim, Sarah Miller,
Michael Brown, Jennifer Davis, David Anderson, Jessica Martinez, Christopher Lee,
Ashley Clark, Matthew Lewis, Amanda Young, Joshua Allen, Stephanie King, Andrew Scott,
Nicole Adams, Ryan Baker, Elizabeth Nelson, Kevin Carter, Megan Mitchell, Brian Perez,
Rachel Turner, Jason Phillips, Lauren Campbell, Justin Parker, Hannah Collins"""

EMAILS = """mia@example.com, oliver.smith@acme.com, amelia.jones@globex.io, noah@initech.com,
isla.brown@company.co.uk, jack.taylor@gmail.com, olivia.davies@outlook.com,
harry.evans@hooli.xyz, emily.wilson@atlassian.com, george.thomas@contoso.com,
ava.johnson@example.org, charlie.roberts@yahoo.com, sophie@startup.dev, jwright@corp.net,
grace.robinson@university.edu, tthompson@mail.com, lily.white@design.studio,
oscar.hughes@agency.com, c.edwards@firm.de, william.green@example.net, ella.hall@shop.fr,
james.wood@bank.com, mkhan@tech.in, priya.sharma@infosys.com, wei.zhang@company.cn,
yuki.tanaka@example.jp, lucas.martin@orange.fr, leon.schmidt@web.de, mateo@empresa.es,
sofia.rodriguez@gmail.com, liam.obrien@eircom.ie, daniel.kim@samsung.com,
sarah.miller@microsoft.com, michael.brown@google.com, jdavis@amazon.com,
david.anderson@ibm.com, jessica.martinez@oracle.com, chris.lee@salesforce.com,
aclark@adobe.com, mlewis@intel.com, amanda.young@cisco.com, josh.allen@netflix.com,
stephanie.king@spotify.com, andrew.scott@uber.com, nicole.adams@airbnb.com"""

NICKS = """mkrystof osmith ajones noah isla.brown jtaylor odavies harry emilyw gthomas ava
charlie sophie jwright grace tom lily oscar chloe wgreen ella jwood mkhan priya wei yuki
lucas leon mateo sofia liam chen ahmed fatima dkim sarahm mbrown jdavis danderson jess
clee ashley mlewis ayoung jallen sking ascott nadams rbaker enelson kcarter"""

TITLES = """Designer, Software Engineer, Senior Software Engineer, Product Manager,
Engineering Manager, Developer, Principal Engineer, Team Lead, QA Engineer,
Site Reliability Engineer, Data Scientist, Marketing Manager, Sales Director,
Account Executive, Customer Success Manager, Support Engineer, Technical Writer,
Project Manager, Scrum Master, Head of Design, VP Engineering, CTO, CEO, Consultant,
Analyst, Business Analyst, Architect, Solutions Architect, Recruiter, Office Manager,
Design team, Engineering, Product, Marketing, Sales, Finance, Human Resources, Legal,
Operations, Customer Support, Research and Development, IT, Security, Platform team,
Mobile team, Infrastructure, Data, Growth, Design Systems, Quality Assurance"""

PLACES = """Sydney, Melbourne, Brisbane, San Francisco, New York, London, Berlin, Paris,
Amsterdam, Bangalore, Tokyo, Singapore, Toronto, Austin, Seattle, Boston, Dublin,
Gdansk, Manila, Mountain View, Chicago, Los Angeles, Denver, Madrid, Barcelona, Munich,
Zurich, Stockholm, Copenhagen, Oslo, Helsinki, Warsaw, Prague, Vienna, Lisbon, Rome,
Milan, Sao Paulo, Mexico City, Buenos Aires, Auckland, Remote, Home office, Hong Kong,
Acme Corporation, Globex, Initech, Hooli, Example Inc, Contoso Ltd, Umbrella Corp,
Building 2, Level 14, Floor 3, Room 101, Team 7, jsmith2@example.com, anna.k1987@mail.com,
dev42, user_01, tester-3, 2nd Floor, Unit 5B, k8s team, Web3 Labs"""

ESC_WEIGHT = 4          # bytes outside printable ASCII (UTF-8, mostly)
MAX_BITS = 15


def frequencies():
    text = " ".join([NAMES, EMAILS, NICKS, TITLES, PLACES, EMAILS.lower()])
    text = " ".join(text.split())
    freq = [1] * 96                       # 0x20..0x7e, then ESC
    for ch in text:
        o = ord(ch)
        if 0x20 <= o <= 0x7e:
            freq[o - 0x20] += 1
        else:
            freq[95] += 1
    freq[95] += ESC_WEIGHT
    return freq


def huffman_lengths(freq):
    counter = itertools.count()
    heap = [(f, next(counter), [s]) for s, f in enumerate(freq)]
    heapq.heapify(heap)
    lengths = [0] * len(freq)
    while len(heap) > 1:
        f1, _, s1 = heapq.heappop(heap)
        f2, _, s2 = heapq.heappop(heap)
        for s in s1 + s2:
            lengths[s] += 1
        heapq.heappush(heap, (f1 + f2, next(counter), s1 + s2))
    return lengths


def limit(lengths, freq):
    """Cap the lengths at MAX_BITS, keeping the Kraft sum at 1."""
    lengths = [min(l, MAX_BITS) for l in lengths]
    kraft = lambda: sum(2 ** (MAX_BITS - l) for l in lengths)
    order = sorted(range(len(lengths)), key=lambda s: (freq[s], s))
    while kraft() > 2 ** MAX_BITS:
        for s in order:                    # lengthen the rarest short code
            if lengths[s] < MAX_BITS:
                lengths[s] += 1
                break
    return lengths


def canonical(lengths):
    syms = sorted(range(len(lengths)), key=lambda s: (lengths[s], s))
    codes, code, prev = [0] * len(lengths), 0, lengths[syms[0]]
    for i, s in enumerate(syms):
        if i:
            code = (code + 1) << (lengths[s] - prev)
        prev = lengths[s]
        codes[s] = code
    return syms, codes


def main():
    freq = frequencies()
    lengths = limit(huffman_lengths(freq), freq)
    syms, codes = canonical(lengths)
    count = [0] * (MAX_BITS + 1)
    for l in lengths:
        count[l] += 1
    total = sum(freq)
    avg = sum(f * l for f, l in zip(freq, lengths)) / total
    out = []
    out.append("/* Generated by src/atl_textcode_gen.py: a fixed part of the identity's")
    out.append(" * storage format 3. Never edit or regenerate: stored logins use it.")
    out.append(" * Symbols 0 to 94 are the bytes 0x20 to 0x7e, 95 is the escape that")
    out.append(" * precedes any other byte (8 bits). %.2f bits a symbol on the sample. */" % avg)
    out.append("#define TC_SYMBOLS  96")
    out.append("#define TC_ESCAPE   95")
    out.append("#define TC_MAX_BITS %d" % MAX_BITS)
    out.append("")
    out.append("/* Code length of each symbol. */")
    out.append("static const unsigned char tc_len[TC_SYMBOLS] = {")
    for i in range(0, 96, 16):
        out.append("    " + ", ".join("%d" % l for l in lengths[i:i + 16]) + ",")
    out.append("};")
    out.append("")
    out.append("/* Canonical code of each symbol (its tc_len low bits). */")
    out.append("static const unsigned short tc_code[TC_SYMBOLS] = {")
    for i in range(0, 96, 8):
        out.append("    " + ", ".join("0x%04x" % c for c in codes[i:i + 8]) + ",")
    out.append("};")
    out.append("")
    out.append("/* How many codes have each length (index: bits). */")
    out.append("static const unsigned char tc_count[TC_MAX_BITS + 1] = {")
    out.append("    " + ", ".join("%d" % c for c in count) + ",")
    out.append("};")
    out.append("")
    out.append("/* The symbols in canonical order (by length, then symbol). */")
    out.append("static const unsigned char tc_sorted[TC_SYMBOLS] = {")
    for i in range(0, 96, 16):
        out.append("    " + ", ".join("%d" % s for s in syms[i:i + 16]) + ",")
    out.append("};")
    print("\n".join(out))


if __name__ == "__main__":
    main()
