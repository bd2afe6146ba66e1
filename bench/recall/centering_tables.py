#!/usr/bin/env python3
# Prints the four-split centering tables of bench/README.md from a recall --out_dir:
#   /usr/bin/python3 bench/recall/centering_tables.py bench/results/centering
# tqdb rows come from <set>.csv; FAISS rows from <set>.faiss-run.csv when present (a run with
# the FAISS rows, on the same data and queries: recall is deterministic), else from <set>.csv.
import csv, os, sys
tq = fa = sys.argv[1]
sets=[('glove-100','GloVe-100: 149,000 frequent words, d = 100'),('glove-100-from100000','GloVe-100 tail: base rows 100,000-148,999 (rarer words), same queries'),('glove-100-more','glove-100-more: 140,479 rarer words, d = 100'),('openai-ada002-1536','OpenAI ada-002: 19,000 base, d = 1536')]
for stem,title in sets:
    t=list(csv.DictReader(open(f'{tq}/{stem}.csv'))); faiss_csv=f'{fa}/{stem}.faiss-run.csv' if os.path.exists(f'{fa}/{stem}.faiss-run.csv') else f'{fa}/{stem}.csv'
    f=[r for r in csv.DictReader(open(faiss_csv)) if r['family']=='faiss']
    def get(rows,b,m):
        for r in rows:
            if r['bits']==str(b) and r['method']==m: return r
    def pq_total(b,total):
        best=None
        for r in f:
            if r['bits']==str(b) and 'x4fs' in r['method'] and float(r['bytes_per_vector'])<=total:
                if best is None or float(r['bytes_per_vector'])>float(best['bytes_per_vector']): best=r
        return best
    F=lambda r: f"{float(r['recall_10_at_10']):.3f} / {float(r['recall_1_at_1']):.3f}"
    print(f'\n#### {title}\n')
    print('| b | tqdb default: centered (B) | same, uncentered | FAISS RaBitQfs{b} (B) | FAISS PQ fast scan at tqdb total bytes (B) | default + re-rank 100 |')
    print('|---|---|---|---|---|---|')
    for b in (1,2,3,4):
        v='prod' if b==1 else 'mse-ratio'
        c=get(t,b,'c-'+v); u=get(t,b,v); rq=get(f,b,f'RaBitQfs{b}'); pq=pq_total(b,float(c['bytes_per_vector'])); rr=get(t,b,'c-'+v+' + rerank 100')
        print(f"| {b} | c-{v} ({c['bytes_per_vector']}) **{F(c)}** | {F(u)} | {F(rq)} ({rq['bytes_per_vector']}) | {pq['method'].split()[0]} {F(pq)} ({pq['bytes_per_vector']}) | {F(rr)} |")
