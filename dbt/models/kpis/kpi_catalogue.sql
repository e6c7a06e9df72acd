{#- The KPI catalogue as analysts query it: one row per (kpi_id, measure, breakdown) published
    in kpi_values, with its label, definition, population, unit, period types, pack order,
    repeats and disclosure class (from dbt/catalogue/kpi_catalogue.yml via the seed
    kpi_catalogue_entries). Survey measures named after a question (`survey_{question_id}`) get
    one row per question found in kpi_values. -#}
with

{{ import_ctes([('entries', 'kpi_catalogue_entries')]) }},

published as (

    select distinct kpi_id, measure, breakdown
    from {{ ref('kpi_values') }}

),

named as (

    select
        entries.kpi_id,
        coalesce(published.measure, entries.measure) as measure,
        entries.breakdown,
        entries.question_id,
        entries.kpi_name,
        entries.label,
        entries.definition,
        entries.population,
        entries.unit,
        entries.period_types,
        entries.disclosure_class,
        entries.repeats,
        entries.pack_order
    from entries
    left join published
        on coalesce(entries.measure_pattern, '') <> ''
        and published.kpi_id = entries.kpi_id
        and published.breakdown = entries.breakdown
        and published.measure like entries.measure_pattern
    where coalesce(entries.measure_pattern, '') = '' or published.measure is not null

),

final as (

    select
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(measure as {{ dbt.type_string() }}) as measure,
        cast(breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(question_id as {{ dbt.type_string() }}) as question_id,
        cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
        cast(label as {{ dbt.type_string() }}) as label,
        cast(definition as {{ dbt.type_string() }}) as definition,
        cast(population as {{ dbt.type_string() }}) as population,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(period_types as {{ dbt.type_string() }}) as period_types,
        cast(disclosure_class as {{ dbt.type_string() }}) as disclosure_class,
        cast(coalesce(repeats, '') as {{ dbt.type_string() }}) as repeats,
        cast(pack_order as bigint) as pack_order
    from named

)

select * from final
