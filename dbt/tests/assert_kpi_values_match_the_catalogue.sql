-- Every figure of kpi_values is catalogued (dbt/catalogue/kpi_catalogue.yml, seed
-- kpi_catalogue_entries) for its (kpi_id, measure, breakdown), with the catalogue's unit and
-- one of its period types. A row here names the figure and what disagrees.
with

catalogue as (

    select * from {{ ref('kpi_catalogue_entries') }}

),

matched as (

    select
        kpi_values.kpi_id,
        kpi_values.measure,
        kpi_values.breakdown,
        kpi_values.period_type,
        kpi_values.unit,
        catalogue.unit as catalogue_unit,
        catalogue.period_types as catalogue_period_types
    from {{ ref('kpi_values') }} as kpi_values
    left join catalogue
        on {{ matches_catalogue_entry('kpi_values', 'catalogue') }}

)

select distinct
    kpi_id,
    measure,
    breakdown,
    period_type,
    unit,
    catalogue_unit,
    catalogue_period_types,
    case
        when catalogue_unit is null then 'not catalogued'
        when catalogue_unit <> unit then 'unit differs from the catalogue'
        else 'period type not catalogued'
    end as problem
from matched
where catalogue_unit is null
    or catalogue_unit <> unit
    or {{ dbt.concat(["','", 'catalogue_period_types', "','"]) }} not like {{ dbt.concat(["'%,'", 'period_type', "',%'"]) }}
