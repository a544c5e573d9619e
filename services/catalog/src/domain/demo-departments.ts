/**
 * The vocabulary of the demo catalog: one entry per department (category) with the product
 * kinds it sells, their qualifiers and plausible prices, invented brand names, name variants
 * and description sentences. Prices are whole US dollars (the generator adds the cents).
 * Brands are fictional; platform names in video games only describe compatibility.
 */

/**
 * One kind of product a department sells: its noun (`Headphones`), the lowest and highest
 * plausible price in whole dollars, and qualifiers that fit it (`Wireless`, `Noise-Cancelling`).
 */
export type ProductKind = readonly [
  noun: string,
  minDollars: number,
  maxDollars: number,
  qualifiers: readonly string[],
];

/**
 * How titles of media departments (books, music, movies, games) are made, instead of
 * brand + qualifier + noun: a title, a format and a creator or genre for the description.
 */
export type TitleStyle = "book" | "album" | "movie" | "game";

/** A department of the demo store; `slug` and `name` become its category, `skuPrefix` its SKUs. */
export interface Department {
  readonly slug: string;
  readonly name: string;
  /** 2–5 upper-case letters; SKUs are `<prefix>-<6 digits>`. */
  readonly skuPrefix: string;
  /** Relative share of the catalog (the generator draws departments by weight). */
  readonly weight: number;
  readonly kinds: readonly ProductKind[];
  readonly brands: readonly string[];
  /** Suffixes appended to some names after " - " (colour, size, pack). */
  readonly variants: readonly string[];
  /** Sentences a description draws from. */
  readonly features: readonly string[];
  readonly titleStyle?: TitleStyle;
}

const COLOURS = ["Black", "White", "Navy", "Charcoal", "Olive", "Sand", "Burgundy", "Sky Blue", "Forest Green"];

/** The 22 departments of the demo store, in display order. */
export const DEPARTMENTS: readonly Department[] = [
  {
    slug: "electronics",
    name: "Electronics",
    skuPrefix: "ELEC",
    weight: 9,
    kinds: [
      ["Headphones", 25, 450, ["Wireless", "Noise-Cancelling", "Over-Ear", "Studio", "Bluetooth"]],
      ["Earbuds", 15, 280, ["Wireless", "True Wireless", "Sport", "Noise-Cancelling"]],
      ["Keyboard", 20, 220, ["Wireless", "Mechanical", "Ergonomic", "Backlit", "Compact"]],
      ["Mouse", 10, 150, ["Wireless", "Ergonomic", "Gaming", "Silent", "Vertical"]],
      ["Speaker", 25, 400, ["Bluetooth", "Portable", "Waterproof", "Smart", "Bookshelf"]],
      ["Monitor", 120, 1100, ["27-Inch 4K", "Curved", "Ultrawide", "Portable", "144Hz Gaming"]],
      ["Webcam", 30, 200, ["1080p", "4K", "Wide-Angle", "Streaming"]],
      ["Power Bank", 15, 120, ["20000mAh", "Slim", "Fast-Charging", "Solar"]],
      ["Charger", 10, 90, ["USB-C", "Wireless", "Fast", "Multi-Port", "Travel"]],
      ["Smartwatch", 60, 500, ["Fitness", "GPS", "AMOLED", "Hybrid"]],
      ["Tablet", 120, 1100, ["10-Inch", "Kids", "Drawing", "Lightweight"]],
      ["Soundbar", 80, 800, ["Dolby Atmos", "Compact", "Wireless", "2.1 Channel"]],
      ["Router", 40, 400, ["Wi-Fi 6", "Mesh", "Dual-Band", "Gaming"]],
      ["Microphone", 30, 300, ["USB", "Condenser", "Lavalier", "Podcast"]],
      ["Projector", 90, 1200, ["Mini", "4K", "Portable", "Short-Throw"]],
      ["Action Camera", 80, 500, ["4K", "Waterproof", "Stabilized"]],
      ["External Hard Drive", 50, 300, ["2TB", "4TB", "Rugged", "Portable SSD"]],
    ],
    brands: ["Auralis", "Voltra", "Nexon", "Lumora", "Quantix", "Sonique", "Pixelon", "Kestrel"],
    variants: ["Black", "White", "Graphite", "Silver", "Midnight Blue"],
    features: [
      "Pairs in seconds and remembers up to eight devices.",
      "Charges over USB-C, with the cable in the box.",
      "A single charge lasts a full working week of typical use.",
      "Firmware updates arrive over the air through the companion app.",
      "Backed by a two-year manufacturer warranty.",
      "Low-latency mode keeps audio and video in sync.",
      "The aluminium housing stays cool under heavy load.",
    ],
  },
  {
    slug: "books",
    name: "Books",
    skuPrefix: "BOOK",
    weight: 8,
    kinds: [["Book", 6, 45, []]],
    brands: [],
    variants: [],
    features: [
      "Printed on acid-free paper with a sewn binding.",
      "Includes a new introduction and reading-group questions.",
      "A staff pick for this season.",
      "Widely praised by readers and critics alike.",
      "Makes a thoughtful gift for any reader.",
    ],
    titleStyle: "book",
  },
  {
    slug: "home-kitchen",
    name: "Home & Kitchen",
    skuPrefix: "HOME",
    weight: 9,
    kinds: [
      ["Skillet", 20, 180, ["Stainless Steel", "Cast Iron", "Nonstick", "Carbon Steel"]],
      ["Saucepan", 20, 150, ["Stainless Steel", "Copper Core", "Nonstick"]],
      ["Dutch Oven", 40, 350, ["Enameled Cast Iron", "5-Quart", "Ceramic"]],
      ["Chef's Knife", 25, 250, ["8-Inch", "Damascus Steel", "Japanese", "Forged"]],
      ["Cutting Board", 15, 90, ["Bamboo", "End-Grain Walnut", "Acacia"]],
      ["Coffee Maker", 30, 400, ["Drip", "Pour-Over", "Programmable", "Single-Serve"]],
      ["Blender", 40, 450, ["High-Speed", "Personal", "Immersion"]],
      ["Toaster", 25, 150, ["2-Slice", "4-Slice", "Retro"]],
      ["Kettle", 20, 150, ["Electric", "Gooseneck", "Stovetop"]],
      ["Dinnerware Set", 40, 300, ["Stoneware", "Porcelain", "16-Piece"]],
      ["Towel Set", 20, 120, ["Cotton", "Turkish Cotton", "Quick-Dry"]],
      ["Duvet Cover", 40, 220, ["Linen", "Percale", "Sateen"]],
      ["Table Lamp", 25, 250, ["Ceramic", "Brass", "Dimmable LED"]],
      ["Storage Containers", 15, 80, ["Glass", "Airtight", "Stackable"]],
      ["Vacuum Cleaner", 80, 700, ["Cordless", "Robot", "Bagless", "Handheld"]],
    ],
    brands: ["Hearthstone", "Copperleaf", "Oakhaven", "Nordlys", "Maison Rue", "Kitchora"],
    variants: ["Black", "White", "Sage", "Slate Grey", "Cream"],
    features: [
      "Dishwasher safe for easy cleanup.",
      "Works on gas, electric and induction cooktops.",
      "Designed in-house and tested in real home kitchens.",
      "Built to handle daily use for years.",
      "Arrives in plastic-free packaging.",
      "A lifetime guarantee covers manufacturing defects.",
    ],
  },
  {
    slug: "garden",
    name: "Garden",
    skuPrefix: "GARD",
    weight: 4,
    kinds: [
      ["Garden Hose", 20, 90, ["Expandable", "Heavy-Duty", "50-Foot"]],
      ["Pruning Shears", 12, 70, ["Bypass", "Ratchet", "Titanium-Coated"]],
      ["Planter", 15, 150, ["Ceramic", "Self-Watering", "Raised Bed", "Hanging"]],
      ["Lawn Mower", 150, 900, ["Cordless", "Push Reel", "Self-Propelled"]],
      ["Seed Kit", 8, 40, ["Herb", "Heirloom Tomato", "Wildflower", "Organic Vegetable"]],
      ["Bird Feeder", 15, 80, ["Squirrel-Proof", "Cedar", "Window"]],
      ["Wheelbarrow", 60, 250, ["Steel", "Dual-Wheel", "Folding"]],
      ["Solar Path Lights", 20, 90, ["Stainless Steel", "Warm White", "Set of 8"]],
      ["Compost Bin", 30, 200, ["Tumbling", "Kitchen", "Worm"]],
    ],
    brands: ["Greenfold", "Rootwell", "Bramble & Co", "Meadowline", "Terrafirm"],
    variants: ["Green", "Terracotta", "Black", "Stone"],
    features: [
      "Weather-resistant materials survive sun, frost and rain.",
      "Ergonomic grips reduce strain on long garden days.",
      "Assembles in minutes without tools.",
      "Rust-proof hardware throughout.",
      "Loved by balcony growers and allotment veterans alike.",
    ],
  },
  {
    slug: "toys",
    name: "Toys",
    skuPrefix: "TOYS",
    weight: 5,
    kinds: [
      ["Building Blocks Set", 15, 150, ["Creative", "500-Piece", "Magnetic", "Castle"]],
      ["Puzzle", 10, 45, ["1000-Piece", "Wooden", "Floor", "3D"]],
      ["Plush Bear", 10, 50, ["Giant", "Classic", "Weighted"]],
      ["Remote Control Car", 25, 180, ["Off-Road", "Stunt", "High-Speed"]],
      ["Board Game", 15, 70, ["Family", "Strategy", "Cooperative", "Party"]],
      ["Doll House", 40, 250, ["Wooden", "Three-Story", "Modern"]],
      ["Science Kit", 20, 80, ["Chemistry", "Robotics", "Crystal Growing", "Volcano"]],
      ["Train Set", 30, 200, ["Wooden", "Electric", "Classic"]],
    ],
    brands: ["Wonderloop", "Tinker Tree", "Playmint", "Brightbox", "Kiddo Labs"],
    variants: ["Ages 3+", "Ages 6+", "Ages 8+"],
    features: [
      "Safety tested to EN 71 and ASTM F963.",
      "Encourages creative, open-ended play.",
      "Non-toxic, child-safe paints and finishes.",
      "Comes in a gift-ready box.",
      "Batteries not included.",
    ],
  },
  {
    slug: "sports",
    name: "Sports",
    skuPrefix: "SPRT",
    weight: 5,
    kinds: [
      ["Yoga Mat", 20, 120, ["Non-Slip", "Extra-Thick", "Cork", "Travel"]],
      ["Dumbbell Set", 30, 400, ["Adjustable", "Hex", "Neoprene"]],
      ["Basketball", 15, 80, ["Indoor", "Outdoor", "Composite Leather"]],
      ["Soccer Ball", 15, 90, ["Match", "Training", "Size 5"]],
      ["Tennis Racket", 30, 250, ["Graphite", "Lightweight", "Junior"]],
      ["Resistance Bands", 10, 45, ["Fabric", "Loop", "Set of 5"]],
      ["Jump Rope", 8, 40, ["Speed", "Weighted", "Beaded"]],
      ["Water Bottle", 10, 45, ["Insulated", "Stainless Steel", "Collapsible"]],
      ["Foam Roller", 15, 60, ["High-Density", "Vibrating", "Textured"]],
    ],
    brands: ["Stridewell", "Apex Motion", "Corefit", "Pacelane", "Velox"],
    variants: COLOURS.slice(0, 5),
    features: [
      "Trusted by coaches and weekend athletes.",
      "Sweat-resistant and easy to wipe clean.",
      "Built to competition standards.",
      "Light enough to carry to the gym every day.",
      "Covered by a one-year no-questions warranty.",
    ],
  },
  {
    slug: "clothing",
    name: "Clothing",
    skuPrefix: "CLTH",
    weight: 8,
    kinds: [
      ["T-Shirt", 12, 45, ["Organic Cotton", "Crew Neck", "V-Neck", "Oversized"]],
      ["Hoodie", 30, 110, ["Fleece", "Zip-Up", "Heavyweight"]],
      ["Jeans", 35, 150, ["Slim Fit", "Straight Leg", "Relaxed", "Selvedge"]],
      ["Sweater", 35, 180, ["Merino Wool", "Cashmere", "Cable Knit"]],
      ["Rain Jacket", 50, 300, ["Waterproof", "Packable", "Insulated"]],
      ["Dress", 30, 200, ["Linen", "Wrap", "Midi", "Maxi"]],
      ["Chinos", 30, 110, ["Slim Fit", "Stretch", "Classic"]],
      ["Socks", 8, 30, ["Merino", "Cushioned", "Pack of 6"]],
      ["Shirt", 25, 130, ["Oxford", "Flannel", "Linen", "Denim"]],
    ],
    brands: ["Northway", "Loom & Larch", "Harbor Thread", "Atelier Vale", "Kindred Cloth"],
    variants: COLOURS,
    features: [
      "Cut for a comfortable, true-to-size fit.",
      "Pre-washed so it will not shrink.",
      "Made from responsibly sourced fibres.",
      "Machine washable at 30°C.",
      "Reinforced seams for everyday wear.",
    ],
  },
  {
    slug: "shoes",
    name: "Shoes",
    skuPrefix: "SHOE",
    weight: 5,
    kinds: [
      ["Running Shoes", 50, 220, ["Trail", "Road", "Lightweight", "Cushioned"]],
      ["Sneakers", 40, 180, ["Canvas", "Leather", "High-Top", "Slip-On"]],
      ["Boots", 70, 350, ["Chelsea", "Hiking", "Waterproof", "Leather"]],
      ["Sandals", 20, 120, ["Leather", "Sport", "Slide"]],
      ["Loafers", 60, 250, ["Suede", "Penny", "Leather"]],
      ["Slippers", 15, 80, ["Wool", "Memory Foam", "Moccasin"]],
    ],
    brands: ["Stridewell", "Cobbleway", "Trailmark", "Solace", "Fennick"],
    variants: ["Black", "Brown", "Tan", "White", "Navy"],
    features: [
      "Cushioned insole with arch support.",
      "Grippy rubber outsole for wet pavements.",
      "Breathable lining keeps feet dry.",
      "Free exchanges if the size is not right.",
      "Resoleable construction for a longer life.",
    ],
  },
  {
    slug: "beauty",
    name: "Beauty",
    skuPrefix: "BEAU",
    weight: 5,
    kinds: [
      ["Face Moisturizer", 12, 90, ["Hydrating", "Oil-Free", "SPF 30", "Night"]],
      ["Serum", 15, 120, ["Vitamin C", "Hyaluronic Acid", "Retinol", "Niacinamide"]],
      ["Shampoo", 8, 40, ["Sulfate-Free", "Volumizing", "Repair"]],
      ["Lipstick", 10, 45, ["Matte", "Satin", "Long-Wear"]],
      ["Eau de Parfum", 35, 180, ["Floral", "Woody", "Citrus"]],
      ["Hair Dryer", 30, 400, ["Ionic", "Compact", "Diffuser"]],
      ["Cleanser", 8, 50, ["Gentle", "Foaming", "Balm"]],
    ],
    brands: ["Lumière Lab", "Petalis", "Dewdrop", "Velvetine", "Opaline"],
    variants: ["50 ml", "100 ml", "Travel Size"],
    features: [
      "Dermatologist tested and suitable for sensitive skin.",
      "Cruelty-free and vegan formula.",
      "Free from parabens and synthetic dyes.",
      "Visible results in two weeks of daily use.",
      "Recyclable glass packaging.",
    ],
  },
  {
    slug: "health",
    name: "Health",
    skuPrefix: "HLTH",
    weight: 4,
    kinds: [
      ["Multivitamin", 10, 45, ["Daily", "Women's", "Men's", "Gummy"]],
      ["Protein Powder", 25, 80, ["Whey", "Plant-Based", "Chocolate", "Vanilla"]],
      ["Digital Thermometer", 10, 50, ["Forehead", "Ear", "Fast-Read"]],
      ["Blood Pressure Monitor", 30, 120, ["Upper Arm", "Wrist", "Bluetooth"]],
      ["First Aid Kit", 15, 70, ["Travel", "Family", "Car"]],
      ["Massage Gun", 50, 300, ["Percussion", "Mini", "Quiet"]],
      ["Electric Toothbrush", 25, 200, ["Sonic", "Rechargeable", "Kids"]],
    ],
    brands: ["Vitalis", "Purewell", "Carelane", "Remedi", "Healthmark"],
    variants: ["30 Servings", "60 Count", "90 Count"],
    features: [
      "Third-party tested for purity.",
      "Made in a GMP-certified facility.",
      "Clinically validated accuracy.",
      "Consult your doctor before use if you are pregnant or on medication.",
      "Easy-read display and one-button operation.",
    ],
  },
  {
    slug: "grocery",
    name: "Grocery",
    skuPrefix: "GROC",
    weight: 6,
    kinds: [
      ["Coffee Beans", 8, 35, ["Dark Roast", "Medium Roast", "Single-Origin", "Decaf"]],
      ["Green Tea", 5, 25, ["Matcha", "Sencha", "Jasmine", "Organic"]],
      ["Olive Oil", 8, 40, ["Extra Virgin", "Cold-Pressed", "Organic"]],
      ["Pasta", 3, 12, ["Durum Wheat", "Whole Wheat", "Gluten-Free"]],
      ["Granola", 4, 15, ["Honey Almond", "Low-Sugar", "Chocolate"]],
      ["Peanut Butter", 4, 12, ["Crunchy", "Smooth", "Natural"]],
      ["Honey", 6, 30, ["Raw", "Manuka", "Wildflower"]],
      ["Dark Chocolate", 3, 15, ["70% Cacao", "Sea Salt", "Orange"]],
      ["Hot Sauce", 4, 15, ["Habanero", "Chipotle", "Ghost Pepper"]],
      ["Rice", 3, 20, ["Basmati", "Jasmine", "Arborio", "Brown"]],
    ],
    brands: ["Harvest Table", "Golden Acre", "Farmstead", "Pantry & Pine", "Sunfield"],
    variants: ["Pack of 2", "Pack of 6", "Family Size"],
    features: [
      "Non-GMO and sustainably sourced.",
      "Packed fresh in small batches.",
      "No artificial colours, flavours or preservatives.",
      "Store in a cool, dry place.",
      "A pantry staple for quick weeknight meals.",
    ],
  },
  {
    slug: "pet-supplies",
    name: "Pet Supplies",
    skuPrefix: "PETS",
    weight: 4,
    kinds: [
      ["Dog Bed", 25, 180, ["Orthopedic", "Calming", "Waterproof"]],
      ["Cat Tree", 40, 250, ["Multi-Level", "Sisal", "Modern"]],
      ["Dog Leash", 10, 50, ["Reflective", "Retractable", "Hands-Free"]],
      ["Cat Litter", 10, 35, ["Clumping", "Unscented", "Natural Pine"]],
      ["Dog Food", 20, 90, ["Grain-Free", "Puppy", "Senior", "Salmon"]],
      ["Pet Carrier", 25, 120, ["Airline-Approved", "Backpack", "Soft-Sided"]],
      ["Chew Toy", 5, 25, ["Durable", "Squeaky", "Dental"]],
      ["Aquarium Filter", 15, 90, ["Canister", "Hang-On", "Quiet"]],
    ],
    brands: ["Pawsome", "Whiskerly", "Tailwind Pets", "Furhaven", "Barkley & Co"],
    variants: ["Small", "Medium", "Large"],
    features: [
      "Vet approved and tested with real pets.",
      "Machine-washable cover.",
      "Made without harmful chemicals.",
      "Sized for small, medium and large breeds.",
      "Satisfaction guaranteed or your money back.",
    ],
  },
  {
    slug: "automotive",
    name: "Automotive",
    skuPrefix: "AUTO",
    weight: 4,
    kinds: [
      ["Dash Cam", 40, 250, ["Front and Rear", "4K", "Night Vision"]],
      ["Car Phone Mount", 10, 50, ["Magnetic", "Vent", "Wireless Charging"]],
      ["Tire Inflator", 25, 120, ["Portable", "Cordless", "Digital"]],
      ["Jump Starter", 50, 200, ["Lithium", "Heavy-Duty", "Compact"]],
      ["Seat Covers", 25, 150, ["Leather", "Waterproof", "Universal"]],
      ["Floor Mats", 20, 130, ["All-Weather", "Rubber", "Custom-Fit"]],
      ["Car Wax", 10, 40, ["Carnauba", "Ceramic", "Spray"]],
    ],
    brands: ["Roadwise", "Torqline", "Drivetech", "Motorhaus", "Gearhead"],
    variants: ["Black", "Grey", "Universal Fit"],
    features: [
      "Fits most cars, SUVs and trucks.",
      "Installs in minutes without tools.",
      "Tested from -20°C to 60°C.",
      "Includes a 12V car adapter.",
      "Backed by an 18-month warranty.",
    ],
  },
  {
    slug: "tools",
    name: "Tools",
    skuPrefix: "TOOL",
    weight: 5,
    kinds: [
      ["Cordless Drill", 50, 300, ["20V", "Brushless", "Compact", "Hammer"]],
      ["Screwdriver Set", 12, 80, ["Precision", "Magnetic", "Ratcheting"]],
      ["Tool Box", 20, 150, ["Rolling", "Steel", "Stackable"]],
      ["Tape Measure", 8, 35, ["25-Foot", "Magnetic", "Laser"]],
      ["Socket Set", 25, 200, ["Metric", "Chrome Vanadium", "108-Piece"]],
      ["Circular Saw", 60, 300, ["Cordless", "7-1/4 Inch", "Worm Drive"]],
      ["Work Light", 15, 90, ["LED", "Rechargeable", "Magnetic"]],
      ["Level", 10, 70, ["Torpedo", "Laser", "48-Inch"]],
    ],
    brands: ["Ironclad", "Forgewell", "Boltline", "Craftmark", "Stanwick"],
    variants: ["Kit", "Tool Only", "With Case"],
    features: [
      "Hardened steel for professional use.",
      "Balanced, rubberized grip reduces fatigue.",
      "Compatible with the full battery platform.",
      "Ships with a hard-shell carrying case.",
      "Lifetime warranty on hand tools.",
    ],
  },
  {
    slug: "office",
    name: "Office",
    skuPrefix: "OFFC",
    weight: 5,
    kinds: [
      ["Notebook", 5, 30, ["Dotted", "Hardcover", "Spiral", "A5"]],
      ["Gel Pen Set", 5, 25, ["Fine Point", "Assorted Colour", "Retractable"]],
      ["Desk Organizer", 12, 60, ["Bamboo", "Mesh", "Rotating"]],
      ["Office Chair", 90, 900, ["Ergonomic", "Mesh", "Executive"]],
      ["Standing Desk", 200, 900, ["Electric", "Corner", "Compact"]],
      ["Desk Lamp", 20, 150, ["LED", "Architect", "Wireless Charging"]],
      ["Label Maker", 25, 120, ["Bluetooth", "Handheld", "Thermal"]],
      ["Paper Shredder", 40, 250, ["Cross-Cut", "Micro-Cut", "12-Sheet"]],
      ["Whiteboard", 20, 150, ["Magnetic", "Glass", "Mobile"]],
    ],
    brands: ["Papyra", "Deskwell", "Inkwell & Co", "Officio", "Margin"],
    variants: ["Black", "White", "Walnut", "Grey"],
    features: [
      "Keeps a busy desk tidy and focused.",
      "Sturdy enough for shared offices.",
      "Made with recycled materials.",
      "Assembles in under twenty minutes.",
      "A favourite of home-office workers.",
    ],
  },
  {
    slug: "music",
    name: "Music",
    skuPrefix: "MUSC",
    weight: 4,
    kinds: [["Album", 8, 45, []]],
    brands: [],
    variants: [],
    features: [
      "Remastered from the original tapes.",
      "Includes a fold-out lyric sheet.",
      "Pressed on 180-gram audiophile vinyl.",
      "A landmark record of its era.",
      "Comes with a digital download code.",
    ],
    titleStyle: "album",
  },
  {
    slug: "movies",
    name: "Movies",
    skuPrefix: "MOVI",
    weight: 4,
    kinds: [["Movie", 6, 40, []]],
    brands: [],
    variants: [],
    features: [
      "Includes director's commentary and deleted scenes.",
      "Restored in high definition.",
      "Region-free disc with subtitles in twelve languages.",
      "A festival favourite, now on disc.",
      "Features a behind-the-scenes documentary.",
    ],
    titleStyle: "movie",
  },
  {
    slug: "video-games",
    name: "Video Games",
    skuPrefix: "GAME",
    weight: 5,
    kinds: [["Video Game", 15, 70, []]],
    brands: [],
    variants: [],
    features: [
      "Supports local and online co-op.",
      "Includes the complete season of downloadable content.",
      "Rated T for Teen.",
      "Runs at 60 frames per second on current consoles.",
      "Features an original orchestral soundtrack.",
    ],
    titleStyle: "game",
  },
  {
    slug: "jewelry",
    name: "Jewelry",
    skuPrefix: "JEWL",
    weight: 4,
    kinds: [
      ["Necklace", 25, 900, ["Sterling Silver", "Gold-Plated", "Pendant", "Pearl"]],
      ["Earrings", 20, 600, ["Hoop", "Stud", "Drop", "Diamond"]],
      ["Bracelet", 20, 500, ["Charm", "Tennis", "Leather", "Bangle"]],
      ["Ring", 30, 1200, ["Stackable", "Signet", "Engagement", "Band"]],
      ["Watch", 60, 800, ["Automatic", "Minimalist", "Chronograph"]],
    ],
    brands: ["Aurelia", "Lune & Co", "Goldcrest", "Silverleaf", "Maris"],
    variants: ["Silver", "Gold", "Rose Gold"],
    features: [
      "Hypoallergenic and nickel-free.",
      "Arrives in a gift box with a polishing cloth.",
      "Handcrafted by independent jewellers.",
      "Free resizing within 60 days.",
      "Ethically sourced metals and stones.",
    ],
  },
  {
    slug: "baby",
    name: "Baby",
    skuPrefix: "BABY",
    weight: 4,
    kinds: [
      ["Stroller", 120, 900, ["Lightweight", "Jogging", "Travel System"]],
      ["Baby Monitor", 40, 300, ["Video", "Wi-Fi", "Audio"]],
      ["Diaper Bag", 30, 150, ["Backpack", "Tote", "Convertible"]],
      ["Baby Blanket", 15, 70, ["Muslin", "Knit", "Sherpa"]],
      ["High Chair", 50, 300, ["Convertible", "Folding", "Wooden"]],
      ["Bottle Set", 15, 60, ["Anti-Colic", "Glass", "Newborn"]],
      ["Car Seat", 90, 450, ["Infant", "Convertible", "Booster"]],
    ],
    brands: ["Little Nest", "Cuddlebug", "Tiny Tread", "Babbly", "Lullawood"],
    variants: ["Grey", "Oatmeal", "Blush", "Sage"],
    features: [
      "Meets or exceeds current safety standards.",
      "BPA-free and easy to sterilize.",
      "Soft, breathable fabrics for sensitive skin.",
      "Folds with one hand.",
      "Recommended by parents and midwives.",
    ],
  },
  {
    slug: "outdoors",
    name: "Outdoors",
    skuPrefix: "OUTD",
    weight: 5,
    kinds: [
      ["Tent", 70, 600, ["2-Person", "4-Person", "Ultralight", "Backpacking"]],
      ["Sleeping Bag", 40, 350, ["Down", "Mummy", "3-Season"]],
      ["Backpack", 40, 300, ["Hiking", "40L", "Daypack", "Waterproof"]],
      ["Headlamp", 15, 80, ["Rechargeable", "Waterproof", "Red Light"]],
      ["Camping Stove", 30, 180, ["Backpacking", "Two-Burner", "Wood-Burning"]],
      ["Trekking Poles", 30, 150, ["Carbon", "Collapsible", "Aluminium"]],
      ["Hammock", 25, 120, ["Camping", "Parachute Nylon", "Double"]],
      ["Cooler", 30, 350, ["Hard-Sided", "Soft", "Rolling"]],
    ],
    brands: ["Summitline", "Wildpath", "Alpenglow", "Ridgeback", "Cairn"],
    variants: ["Green", "Orange", "Grey", "Blue"],
    features: [
      "Tested in the field from desert to alpine.",
      "Packs down small and light.",
      "Seam-taped and weatherproof.",
      "Sets up in under five minutes.",
      "Repair kit included.",
    ],
  },
  {
    slug: "arts-crafts",
    name: "Arts & Crafts",
    skuPrefix: "ARTS",
    weight: 4,
    kinds: [
      ["Watercolor Set", 12, 90, ["24-Colour", "Travel", "Professional"]],
      ["Sketchbook", 8, 35, ["Hardbound", "Mixed Media", "A4"]],
      ["Acrylic Paint Set", 12, 70, ["Metallic", "Neon", "Artist Grade"]],
      ["Knitting Kit", 20, 70, ["Beginner", "Chunky Blanket", "Merino"]],
      ["Colored Pencils", 8, 60, ["72-Count", "Watercolor", "Premium"]],
      ["Easel", 30, 200, ["Tabletop", "Studio", "Portable"]],
      ["Sewing Machine", 90, 600, ["Computerized", "Heavy-Duty", "Portable"]],
      ["Paint Brush Set", 8, 40, ["Synthetic", "Sable", "Detail"]],
    ],
    brands: ["Palette Row", "Crafthaus", "Hue & Cry", "Studio Fern", "Makersmith"],
    variants: ["Starter Set", "Studio Set", "Refill"],
    features: [
      "Rich, lightfast pigments.",
      "Suitable for beginners and professionals.",
      "Non-toxic and conforms to ASTM D-4236.",
      "Comes in a reusable storage tin.",
      "Great for classrooms and workshops.",
    ],
  },
];

/** Opening words of generated movie titles. */
export const MOVIE_OPENERS = [
  "The Last",
  "Return of the",
  "Beyond the",
  "Night of the",
  "Rise of the",
  "Secret of the",
  "Edge of the",
  "Song of the",
  "Shadow of the",
  "Children of the",
] as const;

/** Closing words of generated movie and game titles. */
export const TITLE_NOUNS = [
  "Horizon",
  "Kingdom",
  "Storm",
  "River",
  "Empire",
  "Lighthouse",
  "Voyager",
  "Frontier",
  "Citadel",
  "Harvest",
  "Nomad",
  "Comet",
  "Glacier",
  "Orchard",
  "Labyrinth",
] as const;

/** Genres of movies (for descriptions). */
export const MOVIE_GENRES = ["drama", "thriller", "comedy", "science-fiction", "documentary", "animated"] as const;

/** Disc formats of movies. */
export const MOVIE_FORMATS = ["Blu-ray", "4K Ultra HD", "DVD"] as const;

/** Formats of albums. */
export const ALBUM_FORMATS = ["Vinyl LP", "CD", "Deluxe Edition Vinyl"] as const;

/** Formats of books. */
export const BOOK_FORMATS = ["Hardcover", "Paperback"] as const;

/** Opening words of generated game titles. */
export const GAME_OPENERS = ["Legends of", "Chronicles of", "Tales of", "Shards of", "Saga of"] as const;

/** Subtitles of generated game titles. */
export const GAME_SUBTITLES = [
  "Remastered",
  "Definitive Edition",
  "Deluxe Edition",
  "Complete Edition",
  "Rebirth",
  "The Lost Realm",
] as const;

/** Platforms games are sold for (compatibility, not endorsement). */
export const GAME_PLATFORMS = ["PlayStation 5", "Xbox Series X", "Nintendo Switch", "PC"] as const;

/** Genres of games (for descriptions). */
export const GAME_GENRES = ["action adventure", "role-playing", "racing", "puzzle", "strategy", "platformer"] as const;

/** Generic description closings shared by every department. */
export const CLOSINGS = [
  "Ships within two business days.",
  "Free returns within 30 days.",
  "Rated highly by verified buyers.",
  "Part of our everyday essentials range.",
] as const;
