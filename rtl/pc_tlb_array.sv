// One set-associative, PCID-tagged array of translations (a TLB of one page size, or a paging-structure
// cache), Intel SDM Vol. 3A §4.10.2-4.10.3. Lookup is combinational; touch, fill, dirty-set and
// invalidation take effect at the clock edge. A fill replaces, in this order: a valid copy of the same
// tag and PCID, the lowest invalid way, the policy's victim (true LRU by recency ranks, FIFO, tree-PLRU).
module pc_tlb_array
  import pc_mmu_pkg::*;
#(
    parameter int ENTRIES = 64,
    parameter int WAYS = 4,
    parameter int REPL = REPL_LRU
) (
    input logic clk,
    input logic rst_n,
    // Lookup of one tag in one PCID (global entries match every PCID); the lowest matching way wins.
    input logic [TAG_W-1:0] lk_tag,
    input logic [11:0] lk_pcid,
    output logic lk_hit,
    output entry_t lk_entry,
    output logic [11:0] lk_entry_pcid,  // the PCID the hit entry was filled under
    input logic lk_touch,  // the hit way becomes the most recently used (LRU, PLRU)
    input logic lk_set_dirty,  // the hit way's dirty flag is set
    input logic fill_valid,
    input logic [TAG_W-1:0] fill_tag,
    input logic [11:0] fill_pcid,
    input entry_t fill_entry,
    input logic inv_valid,
    input inv_scope_e inv_scope,
    input logic inv_keep_global,  // global entries survive
    input logic [TAG_W-1:0] inv_tag,
    input logic [11:0] inv_pcid
);
  localparam int SETS = ENTRIES / WAYS;
  localparam int IDX_W = SETS > 1 ? $clog2(SETS) : 1;
  localparam int WAY_W = WAYS > 1 ? $clog2(WAYS) : 1;
  localparam int PLRU_W = WAYS > 1 ? WAYS - 1 : 1;

  initial begin
    if (ENTRIES % WAYS != 0 || (SETS & (SETS - 1)) != 0)
      $error("pc_tlb_array: %0d entries in %0d ways must form a power-of-two number of sets", ENTRIES, WAYS);
    if (REPL == REPL_PLRU && (WAYS & (WAYS - 1)) != 0) $error("pc_tlb_array: tree-PLRU needs a power-of-two way count");
  end

  // Valid bits, recency ranks and PLRU trees are packed vectors indexed by set*WAYS+way (Verilator
  // schedules packed updates inside loops; invalidation walks every entry in one cycle).
  logic [ENTRIES-1:0] valid_q;
  logic [TAG_W-1:0] tag_q[SETS][WAYS];
  logic [11:0] pcid_q[SETS][WAYS];
  entry_t data_q[SETS][WAYS];
  logic [ENTRIES*WAY_W-1:0] rank_q;  // 0 = most recently used (LRU) or most recently filled (FIFO)
  logic [SETS*PLRU_W-1:0] plru_q;  // tree bits, heap order from node 1; a bit points to the victim half

  function automatic int at(input logic [IDX_W-1:0] s, input int w);
    return int'(s) * WAYS + w;
  endfunction
  function automatic logic [WAY_W-1:0] rank(input logic [IDX_W-1:0] s, input int w);
    return rank_q[at(s, w)*WAY_W+:WAY_W];
  endfunction

  // The set is the tag modulo the (power-of-two) set count: only the low tag bits select it.
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [IDX_W-1:0] set_of(input logic [TAG_W-1:0] t);
    if (SETS > 1) return t[IDX_W-1:0];
    return '0;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  // Lookup.
  logic [IDX_W-1:0] lk_set;
  logic [WAY_W-1:0] lk_way;
  always_comb begin
    lk_set = set_of(lk_tag);
    lk_hit = 1'b0;
    lk_way = '0;
    for (int w = WAYS - 1; w >= 0; w--)
      if (valid_q[at(lk_set, w)] && tag_q[lk_set][w] == lk_tag && (data_q[lk_set][w].glob || pcid_q[lk_set][w] == lk_pcid)) begin
        lk_hit = 1'b1;
        lk_way = WAY_W'(w);
      end
    lk_entry = data_q[lk_set][lk_way];
    lk_entry_pcid = pcid_q[lk_set][lk_way];
  end

  // Fill: way chosen by the rules above.
  logic [IDX_W-1:0] fill_set;
  logic [WAY_W-1:0] fill_way;
  always_comb begin
    logic found;
    logic [WAY_W-1:0] same_way, free_way, victim;
    logic same, free;
    fill_set = set_of(fill_tag);
    same = 1'b0;
    same_way = '0;
    free = 1'b0;
    free_way = '0;
    for (int w = WAYS - 1; w >= 0; w--) begin
      if (valid_q[at(fill_set, w)] && tag_q[fill_set][w] == fill_tag && pcid_q[fill_set][w] == fill_pcid) begin
        same = 1'b1;
        same_way = WAY_W'(w);
      end
      if (!valid_q[at(fill_set, w)]) begin
        free = 1'b1;
        free_way = WAY_W'(w);
      end
    end
    victim = '0;
    found = 1'b0;
    if (REPL == REPL_PLRU && WAYS > 1) begin
      int node;
      node = 1;
      for (int l = 0; l < WAY_W; l++) node = 2 * node + int'(plru_q[int'(fill_set)*PLRU_W+node-1]);
      victim = WAY_W'(node - WAYS);
    end else begin
      for (int w = 0; w < WAYS; w++)
        if (!found && rank(fill_set, w) == WAY_W'(WAYS - 1)) begin
          found = 1'b1;
          victim = WAY_W'(w);
        end
    end
    fill_way = same ? same_way : free ? free_way : victim;
  end

  wire [IDX_W-1:0] inv_set = set_of(inv_tag);
  function automatic logic inv_match(input logic [TAG_W-1:0] t, input logic [11:0] p, input logic g);
    logic who;
    who = g ? !inv_keep_global : (inv_scope == INV_ALL || p == inv_pcid);
    return who && (inv_scope != INV_ADDR || t == inv_tag);
  endfunction

  // Recency ranks: the touched way takes rank 0 and every way more recent than it ages by one, so the
  // ranks stay a permutation and the way ranked WAYS-1 is the least recently used.
  task automatic make_recent(input logic [IDX_W-1:0] s, input logic [WAY_W-1:0] way);
    if (REPL == REPL_PLRU && WAYS > 1) begin
      int node;
      node = 1;
      for (int l = WAY_W - 1; l >= 0; l--) begin
        plru_q[int'(s)*PLRU_W+node-1] <= !way[l];
        node = 2 * node + int'(way[l]);
      end
    end else begin
      for (int w = 0; w < WAYS; w++)
        if (WAY_W'(w) == way) rank_q[at(s, w)*WAY_W+:WAY_W] <= '0;
        else if (rank(s, w) < rank(s, int'(way))) rank_q[at(s, w)*WAY_W+:WAY_W] <= rank(s, w) + 1'b1;
    end
  endtask

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      valid_q <= '0;
      plru_q <= '0;
      for (int i = 0; i < ENTRIES; i++) rank_q[i*WAY_W+:WAY_W] <= WAY_W'(i % WAYS);
    end else begin
      if (inv_valid) begin
        if (inv_scope == INV_ADDR) begin
          for (int w = 0; w < WAYS; w++)
            if (valid_q[at(inv_set, w)] && inv_match(tag_q[inv_set][w], pcid_q[inv_set][w], data_q[inv_set][w].glob))
              valid_q[at(inv_set, w)] <= 1'b0;
        end else begin
          for (int s = 0; s < SETS; s++)
            for (int w = 0; w < WAYS; w++)
              if (valid_q[s*WAYS+w] && inv_match(tag_q[s][w], pcid_q[s][w], data_q[s][w].glob)) valid_q[s*WAYS+w] <= 1'b0;
        end
      end else if (fill_valid) begin
        valid_q[at(fill_set, int'(fill_way))] <= 1'b1;
        tag_q[fill_set][fill_way] <= fill_tag;
        pcid_q[fill_set][fill_way] <= fill_pcid;
        data_q[fill_set][fill_way] <= fill_entry;
        make_recent(fill_set, fill_way);
      end
      if (lk_hit && lk_set_dirty) data_q[lk_set][lk_way].dirty <= 1'b1;
      if (lk_hit && lk_touch && REPL != REPL_FIFO && !fill_valid) make_recent(lk_set, lk_way);
    end
  end

endmodule
